import Synchronization

/// The bits behind `Identifier.make`: SplitMix64 over a process-wide counter that starts at a system random seed.
/// SplitMix64's output function is a bijection, so within a process no two draws of the first word repeat; the
/// second word mixes a second seed. One atomic add per id instead of two `getrandom` system calls.
struct IdentifierBits: RandomNumberGenerator {
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))
    private static let salt = UInt64.random(in: .min ... .max)
    private var draws = 0
    private var base: UInt64 = 0

    mutating func next() -> UInt64 {
        if draws == 0 { base = Self.counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue }
        draws += 1
        return Self.mix(draws == 1 ? base : base ^ Self.salt)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
