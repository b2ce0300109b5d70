import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore

/// Connection options shared by the commands that talk to a running relay's admin API.
struct AdminOptions: ParsableArguments {
    @Option(help: "Base URL of the running relay.")
    var url: String = "http://127.0.0.1:8080"

    @Option(help: "Admin bearer token (default: $RELAY_ADMIN_TOKEN).")
    var token: String?

    @Flag(help: "Print the JSON answer instead of a table.")
    var json = false

    /// An admin API answer other than 2xx.
    struct Refusal: Error {
        let status: Int
        let message: String
    }

    /// Calls the admin API and returns the parsed answer. A refusal is printed on stderr and the command exits 1.
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        do {
            return try await request(method, path, body: body)
        } catch let refusal as Refusal {
            Self.report(refusal.message)
            throw ExitCode(1)
        }
    }

    /// Calls the admin API; throws `Refusal` for an answer other than 2xx.
    func request(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        guard let token = token ?? ProcessInfo.processInfo.environment["RELAY_ADMIN_TOKEN"] else {
            throw ValidationError("pass --token or set RELAY_ADMIN_TOKEN")
        }
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/admin/v1/" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body { request.body = .bytes(ByteBuffer(bytes: body.serializedBytes())) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        let value = (try? JSONValue.parse(Array(body.readableBytesView))) ?? .null
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            // An answer without the admin API's JSON error is not from the admin API: with `server.admin_listen`
            // set, it is served on another port than the callbacks.
            let reason = value["error"]?.text.map { "\($0): \(value["detail"]?.text ?? "")" }
                ?? "not an answer of the admin API (does --url point at the relay's admin listener?)"
            throw Refusal(status: status, message: "relay answered \(status) \(reason)")
        }
        return value
    }

    static func report(_ message: String) {
        FileHandle.standardError.write(Data("relay: \(message)\n".utf8))
    }

    /// An id as one path segment (a `/` or `?` in it cannot reach another route).
    static func segment(_ id: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }

    /// An endpoint id (`client/name` or `client/extra/name`) as path segments, each encoded.
    static func segments(_ id: String) -> String {
        id.split(separator: "/", omittingEmptySubsequences: false).map { segment(String($0)) }.joined(separator: "/")
    }

    func output(_ value: JSONValue, table: () -> String) {
        print(json ? value.prettyPrinted() : table())
    }

    /// POSTs `path(id)` (the caller encodes the id) for each id and prints each answer's status. A refused id is reported on stderr and the
    /// others still go; the command then exits 1. A refusal that holds for every id (401, 403) stops at once.
    func post(_ ids: [String], _ path: (String) -> String) async throws {
        var refused = 0
        for id in ids {
            do {
                let answer = try await request(.POST, path(id))
                output(answer) { "\(id): \(answer["status"]?.text ?? "")" }
            } catch let refusal as Refusal {
                Self.report("\(id): \(refusal.message)")
                refused += 1
                if refusal.status == 401 || refusal.status == 403 { break }
            }
        }
        if refused > 0 { throw ExitCode(1) }
    }
}

/// Pads columns of a plain-text table.
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.joined(separator: "\n")
}

/// `relay dlq …`: dead letters of a running relay.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay and discard dead letters of a running relay.",
        subcommands: [List.self, Show.self, Replay.self, Discard.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, newest first.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Client id.") var client: String?
        @Option(help: "Endpoint id, e.g. acme/notification.") var endpoint: String?
        @Option(help: "Notification type, e.g. DELIVERED.") var type: String?
        @Option(help: "Failure class: dns, connect, tls, timeout, http_3xx, http_4xx, http_5xx, rejected, endpoint_disabled.")
        var failure: String?
        @Option(help: "AWB (or order code).") var awb: String?
        @Option(help: "Dead since (ISO-8601).") var since: String?
        @Option(help: "Dead before (ISO-8601).") var until: String?
        @Option(help: "Page size.") var limit: Int = 50
        @Option(help: "Cursor from the previous page.") var cursor: String?

        func run() async throws {
            var query: [String] = ["limit=\(limit)"]
            for (name, value) in [("client", client), ("endpoint", endpoint), ("type", type), ("failure", failure),
                                  ("awb", awb), ("since", since), ("until", until), ("cursor", cursor)] {
                if let value { query.append("\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)") }
            }
            let page = try await admin.call(.GET, "dead-letters?" + query.joined(separator: "&"))
            admin.output(page) {
                let rows = (page["items"]?.array ?? []).map { item in
                    ["id", "deadAt", "client", "endpoint", "type", "awb", "failureClass", "attempts"].map {
                        item[$0]?.text ?? "-"
                    }
                }
                var text = renderTable(["ID", "DEAD AT", "CLIENT", "ENDPOINT", "TYPE", "AWB", "FAILURE", "ATTEMPTS"], rows)
                if let next = page["nextCursor"]?.text { text += "\nmore: --cursor \(next)" }
                return text
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter with its payload and attempts.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Dead letter id (dlv_…).") var id: String

        func run() async throws {
            let letter = try await admin.call(.GET, "dead-letters/\(AdminOptions.segment(id))")
            admin.output(letter) {
                var lines = ["\(id)  \(letter["type"]?.text ?? "")  \(letter["endpoint"]?.text ?? "")  awb \(letter["awb"]?.text ?? "-")",
                             "notification \(letter["notificationId"]?.text ?? "")  dead at \(letter["deadAt"]?.text ?? "")", ""]
                lines.append(renderTable(["#", "STARTED", "MS", "STATUS", "FAILURE", "RESPONSE"],
                                         (letter["attemptLog"]?.array ?? []).map { attempt in
                    [attempt["number"]?.text ?? "", attempt["startedAt"]?.text ?? "", attempt["durationMs"]?.text ?? "",
                     attempt["status"]?.text ?? "-", attempt["failureClass"]?.text ?? "-",
                     String((attempt["responseExcerpt"]?.text ?? "").prefix(60))]
                }))
                lines += ["", "payload:", letter["payload"]?.prettyPrinted() ?? "null"]
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters again now (same webhook-id, webhook-attempt-trigger: manual).")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Dead letter ids.") var ids: [String]

        func run() async throws { try await admin.post(ids) { "dead-letters/\(AdminOptions.segment($0))/replay" } }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Discard dead letters.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Dead letter ids.") var ids: [String]

        func run() async throws { try await admin.post(ids) { "dead-letters/\(AdminOptions.segment($0))/discard" } }
    }
}
