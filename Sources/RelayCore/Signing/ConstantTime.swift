/// Comparisons whose duration does not depend on where two secrets differ.
public enum ConstantTime {
    /// Whether `candidate` equals `secret`, examining every byte of `secret` whatever `candidate` holds.
    public static func equals(_ candidate: some Sequence<UInt8>, _ secret: some Sequence<UInt8>) -> Bool {
        let left = Array(candidate)
        let right = Array(secret)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<right.count {
            difference |= right[index] ^ (index < left.count ? left[index] : 0)
        }
        return difference == 0 && left.count == right.count
    }

    /// Whether `candidate` equals any of `secrets`; every secret is compared.
    public static func matchesAny(_ candidate: String?, _ secrets: [String]) -> Bool {
        guard let candidate else { return false }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            if equals(candidate.utf8, secret.utf8) { matched = true }
        }
        return matched
    }
}
