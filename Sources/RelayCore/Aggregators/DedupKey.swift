import Crypto

/// Builds semantic dedup keys: the listed fields joined and hashed, so equal facts give equal keys.
public enum DedupKey {
    /// A 32-hex-digit key over `parts` (nil and empty parts count as empty).
    public static func make(_ parts: [String?]) -> String {
        var joined: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { joined.append(0x1F) }
            joined.append(contentsOf: (part ?? "").utf8)
        }
        let digest = SHA256.hash(data: joined)
        return digest.prefix(16).map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
    }
}
