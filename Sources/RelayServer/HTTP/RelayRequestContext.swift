import Hummingbird
import NIOCore

/// The relay's request context: Hummingbird's basic context plus the connection, so a route that refuses a request
/// from its head alone can end the connection instead of reading an unwanted body.
struct RelayRequestContext: RequestContext, ConnectionClosingContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// A context that can stop reading its connection.
protocol ConnectionClosingContext {
    var channel: any Channel { get }
}

extension ConnectionClosingContext {
    /// Stops reading the request: the answer is still written, then the connection closes (the server never reads
    /// the rest of the body).
    func stopReading() {
        channel.close(mode: .input, promise: nil)
    }
}

/// Path parameters, percent-decoded (`%2F`, `%20`, … as sent by clients); a parameter that does not decode as
/// UTF-8 is kept as sent.
extension Parameters {
    func decoded(_ name: String) -> String? {
        guard let raw = get(name) else { return nil }
        return PathDecoding.decode(raw)
    }
}

enum PathDecoding {
    /// Percent-decodes one path segment (`+` stays `+`); undecodable input is returned unchanged.
    static func decode(_ raw: String) -> String {
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var iterator = raw.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hex), let low = iterator.next().flatMap(hex) else { return raw }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? raw
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
