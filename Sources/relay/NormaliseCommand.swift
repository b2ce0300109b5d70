public import ArgumentParser
public import RelayCore
import Foundation
import RelayServer

/// `relay normalise`: what a payload becomes, without a server or a store.
struct NormaliseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalise",
        abstract: "Print the notifications a callback payload produces (a JSON array, [] for none).",
        discussion: """
            Parses each FILE as a callback of the given aggregator and prints the JSON array of notifications the \
            relay would produce, in order. Several files are normalised in sequence with shared shipment state, so \
            dedup and stale rules apply across them. Use - for standard input.
            """,
        aliases: ["normalize"]
    )

    @Option(help: "clickpost, shiprocket, shipway or eshipz.")
    var aggregator: Aggregator

    @Option(name: .shortAndLong, help: "Configuration file, for the client's metadata and endpoints.")
    var config: String?

    @Option(help: "Client id in the configuration (default: the first client).")
    var client: String?

    @Option(help: "Receive time in epoch seconds (notificationUpdateTime); default now.")
    var receivedAt: Int64?

    @Option(help: "Content-Type of the payload (e.g. application/x-www-form-urlencoded for Shipway forms).")
    var contentType: String = "application/json"

    @Argument(help: "Payload file(s), or - for standard input.")
    var files: [String]

    func run() async throws {
        let client: Client
        if let config {
            let configuration = try loadConfiguration(path: config)
            let chosen = self.client.map { configuration.client(id: $0) } ?? configuration.clients.first
            guard let chosen else { throw ValidationError("no client \(self.client ?? "") in \(config)") }
            client = chosen
        } else {
            client = Client(id: self.client ?? "cli", endpoints: [
                Endpoint(id: "cli/notification", kind: .notification, url: "http://127.0.0.1/notifications"),
            ])
        }
        let received = receivedAt.map(EventTime.init(epochSeconds:))
            ?? EventTime(epochMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        var context = InMemoryNormalisationContext()
        var output: [JSONValue] = []
        var counter = 0
        for file in files {
            let bytes: [UInt8]
            if file == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                bytes = Array(data)
            }
            let parsed: ParsedCallback
            do {
                parsed = try CallbackParser.parse(aggregator: aggregator, body: bytes, contentType: contentType)
            } catch {
                FileHandle.standardError.write(Data("relay: \(file): \(error.shortDescription): \(error.detail)\n".utf8))
                throw ExitCode(65)
            }
            let result = Normaliser().normalise(events: parsed.events, client: client, receivedAt: received,
                                                context: context, makeId: {
                                                    counter += 1
                                                    return "ntf_\(counter)"
                                                })
            context.apply(result)
            output.append(contentsOf: result.notifications.map(\.payload))
            for draft in result.notifications where draft.awaitingOrder {
                FileHandle.standardError.write(Data(
                    "relay: \(file): \(draft.type.name) has no order code: held (awaiting_order) until its AWB is registered\n".utf8))
            }
        }
        print(JSONValue.array(output).prettyPrinted())
    }
}

extension Aggregator: ExpressibleByArgument {}
