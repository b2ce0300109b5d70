/// Time-ordered unique ids: a prefix and a 26-character ULID (Crockford base32: 48-bit millisecond time, 80 random
/// bits), e.g. `ntf_01HS3Q6V0R3W7C1XKZ5G6J8N2M`.
public enum Identifier {
    private static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id. Its 80 "random" bits come from `IdentifierBits`: one system random seed per process and a counter,
    /// so ids made by one process never repeat, and ids of different processes collide only by chance (2^-80).
    /// - Parameters:
    ///   - prefix: `ntf`, `cb`, `dlv`, …
    ///   - epochMilliseconds: the time part.
    public static func make(prefix: String, epochMilliseconds: Int64) -> String {
        var generator = IdentifierBits()
        return make(prefix: prefix, epochMilliseconds: epochMilliseconds, using: &generator)
    }

    /// A new id drawing its random part from `generator`.
    public static func make(prefix: String, epochMilliseconds: Int64, using generator: inout some RandomNumberGenerator) -> String {
        let random = generator.next() as UInt64
        let randomHigh = generator.next() as UInt64
        let prefixBytes = prefix.utf8.count
        return String(unsafeUninitializedCapacity: prefixBytes + 27) { output in
            var position = 0
            for byte in prefix.utf8 {
                output[position] = byte
                position += 1
            }
            output[position] = UInt8(ascii: "_")
            position += 1
            var time = UInt64(max(0, epochMilliseconds))
            for index in stride(from: 9, through: 0, by: -1) {
                output[position + index] = alphabet[Int(time & 31)]
                time >>= 5
            }
            var low = random
            var high = randomHigh
            for index in 10..<26 {
                if index < 23 {
                    output[position + index] = alphabet[Int(low & 31)]
                    low >>= 5
                } else {
                    output[position + index] = alphabet[Int(high & 31)]
                    high >>= 5
                }
            }
            return position + 26
        }
    }
}
