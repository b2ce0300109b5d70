/// The eight `PGSlotDigit`s, in order.
enum PGSlotDigits {
    enum D0: PGSlotDigit { static var value: Int { 0 } }
    enum D1: PGSlotDigit { static var value: Int { 1 } }
    enum D2: PGSlotDigit { static var value: Int { 2 } }
    enum D3: PGSlotDigit { static var value: Int { 3 } }
    enum D4: PGSlotDigit { static var value: Int { 4 } }
    enum D5: PGSlotDigit { static var value: Int { 5 } }
    enum D6: PGSlotDigit { static var value: Int { 6 } }
    enum D7: PGSlotDigit { static var value: Int { 7 } }

    nonisolated(unsafe) static let all: [any PGSlotDigit.Type] = [D0.self, D1.self, D2.self, D3.self, D4.self, D5.self, D6.self, D7.self]
}
