import Crypto

/// Builds semantic dedup keys: the listed fields joined and hashed, so equal facts give equal keys.
public enum DedupKey {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A 32-hex-digit key over `parts` (nil and empty parts count as empty).
    public static func make(_ parts: [String?]) -> String {
        var joined: [UInt8] = []
        joined.reserveCapacity(128)
        for (index, part) in parts.enumerated() {
            if index > 0 { joined.append(0x1F) }
            joined.append(contentsOf: (part ?? "").utf8)
        }
        let digest = SHA256.hash(data: joined)
        return digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: 32) { output in
                for index in 0..<16 {
                    output[2 * index] = hexDigits[Int(bytes[index] >> 4)]
                    output[2 * index + 1] = hexDigits[Int(bytes[index] & 0x0F)]
                }
                return 32
            }
        }
    }
}
