import HTTPTypes
import Hummingbird

extension Request {
    /// The token of an `Authorization: Bearer …` header, if any.
    var bearerToken: String? {
        headers[.authorization].flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
    }
}
