import ArgumentParser
import Foundation
import RelayCore
import RelayServer

/// `relay config …`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with the configuration file.",
        subcommands: [Check.self]
    )

    /// `relay config check`: validates and prints the callback URLs to paste into each aggregator's dashboard.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a configuration file and print each client's callback URLs.",
            discussion: "Exits 1 and names each bad key with the reason when the file is invalid."
        )

        @Option(name: .shortAndLong, help: "Configuration file (YAML).")
        var config: String = "Deploy/config.example.yaml"

        func run() async throws {
            let configuration: RelayConfiguration
            do {
                configuration = try RelayConfiguration.load(path: config)
            } catch {
                FileHandle.standardError.write(Data("relay: \(config): \(error)\n".utf8))
                throw ExitCode(1)
            }
            var lines = ["\(config): OK"]
            switch configuration.storage {
            case .sqlite(let sqlite): lines.append("storage: sqlite \(sqlite.path) (group commit \(sqlite.groupCommit ? "on" : "off"))")
            case .postgres: lines.append("storage: postgres")
            }
            lines.append("listen: \(configuration.server.host):\(configuration.server.port)")
            for client in configuration.clients {
                lines.append("")
                lines.append("client \(client.id)")
                for aggregator in Aggregator.allCases where client.accepts(aggregator) {
                    var url = configuration.callbackURL(client: client.id, aggregator: aggregator)
                    var note = ""
                    switch aggregator {
                    case .clickpost: note = "header webhook_key or Authorization"
                    case .shiprocket: note = "header x-api-key (token)"
                    case .shipway:
                        if client.shipway?.pathTokens.isEmpty == false {
                            url += "/<path_token>"
                            note = "panel shape: secret path token; classic shape: body hash"
                        } else {
                            note = "classic shape: body hash = md5(email:licence_key)"
                        }
                    case .eshipz: note = client.eshipz?.header.map { "header \($0)" } ?? "HTTP Basic"
                    }
                    lines.append("  \(aggregator.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) POST \(url)  (\(note))")
                }
                for endpoint in client.endpoints {
                    let types = endpoint.types.map { " types=\($0.map(\.name).joined(separator: ","))" } ?? ""
                    lines.append("  endpoint \(endpoint.id): \(endpoint.method) \(endpoint.displayURL)\(types)")
                }
            }
            print(lines.joined(separator: "\n"))
        }
    }
}
