import ArgumentParser
import RelayCore

/// `relay`: the shipment notification relay.
@main
struct RelayCommand: AsyncParsableCommand {
    static let version = RelayVersion.current

    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Shipment notification relay: courier aggregator callbacks in, signed Magento notifications out.",
        discussion: """
            Receives status callbacks from Clickpost, Shiprocket, Shipway and eShipz, stores each one durably before \
            answering, normalises it into the Increff/Magento notification payload and delivers it, signed and \
            retried, to each client's endpoints.

            Start here:
              relay config check --config Deploy/config.example.yaml
              relay serve --config Deploy/config.example.yaml
              relay normalise --aggregator clickpost payload.json
              relay dlq list --url http://127.0.0.1:8080 --token $RELAY_ADMIN_TOKEN
            """,
        version: version,
        subcommands: [ServeCommand.self, ConfigCommand.self, NormaliseCommand.self, DeadLetterCommand.self,
                      EndpointsCommand.self, TraceCommand.self, SendTestCommand.self]
    )
}
