import ArgumentParser
import Foundation
import NIOHTTP1
import RelayCore

/// `relay endpoints …`: endpoint health of a running relay.
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints",
        abstract: "Endpoint health, and enable / disable / recover an endpoint of a running relay.",
        subcommands: [List.self, Enable.self, Disable.self, Recover.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Status, last success, failure rate, pending, awaiting an order code, dead.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let answer = try await admin.call(.GET, "endpoints")
            admin.output(answer) {
                renderTable(["ENDPOINT", "STATUS", "LAST SUCCESS", "FAIL RATE (1H)", "PENDING", "AWAITING ORDER", "DEAD"],
                            (answer["items"]?.array ?? []).map { item in
                    let rate: String
                    if case .double(let value) = item["recentFailureRate"] ?? .null {
                        rate = String(format: "%.0f %%", value * 100)
                    } else {
                        rate = "-"
                    }
                    return [item["id"]?.text ?? "", item["status"]?.text ?? "", item["lastSuccess"]?.text ?? "never",
                            rate, item["pending"]?.text ?? "0", item["awaitingOrder"]?.text ?? "0",
                            item["dead"]?.text ?? "0"]
                })
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable an endpoint (e.g. after a 410).")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Endpoint id, e.g. acme/notification.") var id: String
        func run() async throws { try await admin.post([id]) { "endpoints/\(AdminOptions.segments($0))/enable" } }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an endpoint (its deliveries wait).")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Endpoint id, e.g. acme/notification.") var id: String
        func run() async throws { try await admin.post([id]) { "endpoints/\(AdminOptions.segments($0))/disable" } }
    }

    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replay the endpoint's dead letters since a time.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Endpoint id, e.g. acme/notification.") var id: String
        @Option(help: "ISO-8601 time, e.g. 2026-11-25T00:00:00Z.") var since: String
        func run() async throws {
            let answer = try await admin.call(.POST, "endpoints/\(AdminOptions.segments(id))/recover",
                                              body: JSONValue.object(JSONObject([(key: "since", value: .string(since))])))
            admin.output(answer) { "\(id): \(answer["replayed"]?.text ?? "0") dead letters replayed" }
        }
    }
}

/// `relay trace AWB`: everything the relay stored about a shipment, in time order.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Callbacks, events, notifications, deliveries and attempts of an AWB, in time order.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The AWB.") var awb: String
    @Option(help: "Client id (default: all clients).") var client: String?

    func run() async throws {
        let path = "shipments/\(URLForm.encode(awb))/trace" + (client.map { "?client=\(URLForm.encode($0))" } ?? "")
        let answer = try await admin.call(.GET, path)
        admin.output(answer) {
            renderTable(["TIME", "WHAT", "ID", "DETAIL"], (answer["entries"]?.array ?? []).map { entry in
                ["at", "kind", "id", "detail"].map { entry[$0]?.text ?? "" }
            })
        }
    }
}
