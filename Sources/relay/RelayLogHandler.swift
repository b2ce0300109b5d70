import Logging

/// `StreamLogHandler` output to standard error, with metadata rendered only when a message is written.
///
/// `StreamLogHandler` renders its metadata string every time metadata is set. Hummingbird sets a request id on a
/// copy of the logger for every request, so that cost was paid per callback even though almost no request logs
/// anything. This handler keeps the metadata as it is and hands it to a `StreamLogHandler` only to write a line.
struct RelayLogHandler: LogHandler {
    private var output: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) {
        output = StreamLogHandler.standardError(label: label)
        output.logLevel = level
    }

    var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { output.metadataProvider }
        set { output.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var handler = output
        if !metadata.isEmpty { handler.metadata = metadata }
        handler.log(event: event)
    }
}
