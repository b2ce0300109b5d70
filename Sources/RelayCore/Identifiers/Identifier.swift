/// Time-ordered unique ids: a prefix and a 26-character ULID (Crockford base32: 48-bit millisecond time, 80 random
/// bits), e.g. `ntf_01HS3Q6V0R3W7C1XKZ5G6J8N2M`.
public enum Identifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id.
    /// - Parameters:
    ///   - prefix: `ntf`, `cb`, `dlv`, …
    ///   - epochMilliseconds: the time part.
    public static func make(prefix: String, epochMilliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(prefix: prefix, epochMilliseconds: epochMilliseconds, using: &generator)
    }

    /// A new id drawing its random part from `generator`.
    public static func make(prefix: String, epochMilliseconds: Int64, using generator: inout some RandomNumberGenerator) -> String {
        var characters = [UInt8](repeating: 0, count: 26)
        var time = UInt64(max(0, epochMilliseconds))
        for index in stride(from: 9, through: 0, by: -1) {
            characters[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        var random = generator.next() as UInt64
        var randomHigh = generator.next() as UInt64
        for index in 10..<26 {
            if index < 23 {
                characters[index] = alphabet[Int(random & 31)]
                random >>= 5
            } else {
                characters[index] = alphabet[Int(randomHigh & 31)]
                randomHigh >>= 5
            }
        }
        return prefix + "_" + String(decoding: characters, as: UTF8.self)
    }
}
