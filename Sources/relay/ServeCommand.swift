public import ArgumentParser
import Foundation
import Hummingbird
public import Logging
import Metrics
import Prometheus
import RelayCore
import RelayServer

/// `relay serve`: runs the HTTP server, the normaliser and the delivery workers.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the relay (callback routes, normaliser, delivery).",
        discussion: """
            Reads the YAML configuration (secrets as ${ENV} references), opens the store (SQLite by default) and \
            serves until SIGINT or SIGTERM, then finishes in-flight work and exits.
            """
    )

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String = "Deploy/config.example.yaml"

    @Option(help: "Override server.listen, e.g. 127.0.0.1:9090.")
    var listen: String?

    @Flag(help: "Accept and normalise callbacks but do not deliver (another instance delivers).")
    var noDelivery = false

    @Flag(help: "Deliver stored notifications only; no callback routes.")
    var deliveryOnly = false

    @Option(help: .hidden)
    var testNormaliseDelayMs: Int = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: log.level, else info).")
    var logLevel: Logger.Level?

    @Option(help: "Log format on standard error: text or json (default: log.format, else text).")
    var logFormat: RelayConfiguration.Log.Format?

    func validate() throws {
        if noDelivery, deliveryOnly { throw ValidationError("--no-delivery and --delivery-only exclude each other") }
    }

    func run() async throws {
        var configuration = try loadConfiguration(path: config)
        let level = logLevel ?? configuration.log.level.flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format: RelayLogHandler.Format = (logFormat ?? configuration.log.format) == .json ? .json : .text
        LoggingSystem.bootstrap { label in RelayLogHandler(label: label, level: level, format: format) }
        MetricsSystem.bootstrap(RelayMetricsFactory())
        var logger = Logger(label: "relay")
        logger.logLevel = level
        if let listen {
            guard let (host, port) = RelayConfiguration.hostAndPort(listen) else {
                throw ValidationError("--listen must be HOST:PORT with a port of 0-65535, e.g. 127.0.0.1:9090")
            }
            if let admin = configuration.server.adminListen, admin.port == port, port != 0 {
                throw ValidationError("--listen must use another port than server.admin_listen (\(admin.port))")
            }
            configuration.server.host = host
            configuration.server.port = port
        }
        logger.info("starting relay", metadata: [
            "relay.listen": "\(configuration.server.host):\(configuration.server.port)",
            "relay.clients": "\(configuration.clients.count)",
            "relay.version": "\(RelayCommand.version)",
        ])
        do {
            let app = try await buildApplication(
                configuration: configuration, options: ServeOptions(delivery: !noDelivery, ingest: !deliveryOnly,
                                      normaliseDelay: .milliseconds(testNormaliseDelayMs), configPath: config),
                logger: logger)
            try await runRelay(app, grace: .milliseconds(Int64(configuration.server.limits.shutdownGraceSeconds * 1000)),
                               logger: logger)
        } catch {
            // Fail loud: the cause at error level, exit code 1 (systemd's Restart= and Kubernetes restart on it).
            logger.error("relay stopped", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

/// Loads a configuration file; on failure prints every problem with its key path to stderr and exits 1.
func loadConfiguration(path: String) throws -> RelayConfiguration {
    do {
        return try RelayConfiguration.load(path: path)
    } catch let error as ConfigurationError {
        FileHandle.standardError.write(Data("relay: \(path): \(error)\n".utf8))
        throw ExitCode(1)
    } catch {
        FileHandle.standardError.write(Data("relay: \(path): \(error)\n".utf8))
        throw ExitCode(1)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension RelayConfiguration.Log.Format: ExpressibleByArgument {}
