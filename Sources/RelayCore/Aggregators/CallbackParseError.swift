/// Why a callback body could not be read as the aggregator's shape. The server answers 400 with
/// `{"error": shortDescription, "detail": detail}` and keeps the raw bytes in quarantine.
public struct CallbackParseError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case notJSON = "body_not_json"
        case unrecognisedShape = "unrecognised_shape"
        case emptyBody = "empty_body"
        case limitExceeded = "body_over_limit"
    }

    private let code: Code
    /// What exactly was wrong, safe to show to the sender.
    public let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The body is not JSON (or not a form the aggregator uses).
    public static func notJSON(_ detail: String) -> Self { .init(.notJSON, detail) }
    /// The body is JSON but not this aggregator's shape.
    public static func unrecognisedShape(_ detail: String) -> Self { .init(.unrecognisedShape, detail) }
    /// The body breaks a size limit (form fields, JSON nesting depth, members or values); `detail` names it.
    public static func limitExceeded(_ detail: String) -> Self { .init(.limitExceeded, detail) }
    /// Whether this is a broken size limit.
    public var isLimit: Bool { code == .limitExceeded }
    /// The body is empty.
    public static var emptyBody: Self { .init(.emptyBody, "the request body is empty") }

    /// A stable label for the error, e.g. `unrecognised_shape`.
    public var shortDescription: String { code.rawValue }

    public var description: String { "\(code.rawValue): \(detail)" }
}
