import Foundation
import Logging
import Synchronization

/// The relay's log output on standard error: human-readable text (`StreamLogHandler`'s format) or one JSON object
/// per line (`log.format: json`), with metadata rendered only when a line is written.
///
/// `StreamLogHandler` renders its metadata string every time metadata is set. Hummingbird sets a request id on a
/// copy of the logger for every request, so that cost was paid per callback even though almost no request logs
/// anything. This handler keeps the metadata as it is and renders it only to write a line.
///
/// JSON lines have stable keys: `time` (ISO-8601 UTC, milliseconds), `level`, `message`, `logger` (the label), then
/// the metadata with the `relay.` prefix dropped and dots turned into underscores (`relay.endpoint` → `endpoint`,
/// `relay.delivery.seq` → `delivery_seq`). Values are strings; the relay never puts secrets or payload personal data
/// into metadata.
struct RelayLogHandler: LogHandler {
    enum Format: Sendable {
        case text, json
    }

    private var output: StreamLogHandler
    private let format: Format
    private let label: String
    var metadata: Logger.Metadata = [:]
    private var level: Logger.Level

    init(label: String, level: Logger.Level, format: Format = .text) {
        output = StreamLogHandler.standardError(label: label)
        output.logLevel = level
        self.level = level
        self.format = format
        self.label = label
    }

    var logLevel: Logger.Level {
        get { level }
        set {
            level = newValue
            output.logLevel = newValue
        }
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
        switch format {
        case .text:
            var handler = output
            if !metadata.isEmpty { handler.metadata = metadata }
            handler.log(event: event)
        case .json:
            var merged = metadataProvider?.get() ?? [:]
            merged.merge(metadata) { _, new in new }
            if let extra = event.metadata { merged.merge(extra) { _, new in new } }
            if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
            let line = Self.jsonLine(time: Date(), level: event.level, message: "\(event.message)", label: label,
                                     metadata: merged)
            JSONLineWriter.write(line)
        }
    }

    /// One log line as a JSON object followed by a newline.
    static func jsonLine(time: Date, level: Logger.Level, message: String, label: String,
                         metadata: Logger.Metadata) -> String {
        var line = "{\"time\":\"\(timestamp(time))\",\"level\":\"\(level.rawValue)\",\"message\":"
        appendQuoted(message, to: &line)
        line += ",\"logger\":"
        appendQuoted(label, to: &line)
        for key in metadata.keys.sorted() {
            var name = key.hasPrefix("relay.") ? String(key.dropFirst(6)) : key
            name = name.replacingOccurrences(of: ".", with: "_")
            if ["time", "level", "message", "logger"].contains(name) { name = "meta_" + name }
            line += ","
            appendQuoted(name, to: &line)
            line += ":"
            appendQuoted("\(metadata[key]!)", to: &line)
        }
        line += "}\n"
        return line
    }

    private static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
                      Int(milliseconds % 1000))
    }

    private static func appendQuoted(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                line += String(format: "\\u%04x", scalar.value)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}

/// Writes whole lines to standard error, one writer at a time, so concurrent log lines never interleave.
private enum JSONLineWriter {
    static let lock = Mutex(())

    static func write(_ line: String) {
        lock.withLock { _ in
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 {
                        if written < 0, errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}
