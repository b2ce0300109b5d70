/// Reads the timestamp formats the aggregators send (docs/MAPPING.md, "Timestamps").
///
/// Accepted:
/// - ISO-8601 with `T` or a space, with or without fractional seconds, with `Z`, `±HH:MM`, `±HHMM` or no zone
///   (`2019-05-06T10:04:20Z`, `2018-08-06T15:00:32.002000Z`, `2019-04-29 07:47:07.161221`);
/// - a date alone, `2024-03-08`;
/// - Shiprocket's `dd MM yyyy HH:mm:ss` (`23 05 2023 11:43:52`);
/// - RFC 1123 (`Fri, 08 Mar 2024 06:12:00 GMT`);
/// - epoch seconds, milliseconds, microseconds or nanoseconds as digits.
/// A value without a zone is read in `defaultOffsetSeconds` (IST, +05:30, unless the caller says otherwise).
public struct TimestampParser: Sendable {
    /// India Standard Time, the zone of zone-less aggregator timestamps.
    public static let istOffsetSeconds = 19_800

    /// Offset applied to values that carry no zone.
    public var defaultOffsetSeconds: Int

    public init(defaultOffsetSeconds: Int = TimestampParser.istOffsetSeconds) {
        self.defaultOffsetSeconds = defaultOffsetSeconds
    }

    /// The instant `text` denotes, or `nil` when it is in none of the accepted formats.
    public func parse(_ text: String) -> EventTime? {
        let bytes = Array(text.utf8)
        var scanner = Scanner(bytes: bytes)
        scanner.skipSpaces()
        if let time = parseEpoch(bytes) { return time }
        if let first = scanner.peek, first >= UInt8(ascii: "A") { return parseRFC1123(&scanner) }
        return parseNumeric(&scanner)
    }

    /// Digits alone: an epoch in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude
    /// (seconds up to 10^11, about year 5138; each further unit is 1,000 times larger). Whatever the value, the
    /// result is finite: an implausible one is caught by `EventTime.isTrusted(receivedAt:)`, not here.
    private func parseEpoch(_ bytes: [UInt8]) -> EventTime? {
        guard bytes.count >= 9, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int64(String(decoding: bytes, as: UTF8.self))
        else { return nil }
        switch value {
        case ..<100_000_000_000: return EventTime(epochSeconds: value)
        case ..<100_000_000_000_000: return EventTime(epochMilliseconds: value)
        case ..<100_000_000_000_000_000: return EventTime(epochMilliseconds: value / 1_000)  // microseconds
        default: return EventTime(epochMilliseconds: value / 1_000_000)  // nanoseconds
        }
    }

    private func parseNumeric(_ scanner: inout Scanner) -> EventTime? {
        guard let first = scanner.number(minDigits: 2, maxDigits: 4) else { return nil }
        let year: Int
        let month: Int
        let day: Int
        if first.digits == 4 {
            // yyyy-MM-dd
            guard scanner.consume(UInt8(ascii: "-")) || scanner.consume(UInt8(ascii: "/")),
                let monthValue = scanner.number(minDigits: 1, maxDigits: 2)?.value,
                scanner.consume(UInt8(ascii: "-")) || scanner.consume(UInt8(ascii: "/")),
                let dayValue = scanner.number(minDigits: 1, maxDigits: 2)?.value
            else { return nil }
            (year, month, day) = (first.value, monthValue, dayValue)
        } else {
            // dd MM yyyy (Shiprocket) or dd-MM-yyyy
            guard scanner.consume(UInt8(ascii: " ")) || scanner.consume(UInt8(ascii: "-"))
                || scanner.consume(UInt8(ascii: "/")),
                let monthValue = scanner.number(minDigits: 1, maxDigits: 2)?.value,
                scanner.consume(UInt8(ascii: " ")) || scanner.consume(UInt8(ascii: "-"))
                    || scanner.consume(UInt8(ascii: "/")),
                let yearValue = scanner.number(minDigits: 4, maxDigits: 4)?.value
            else { return nil }
            (year, month, day) = (yearValue, monthValue, first.value)
        }
        guard CivilCalendar.isValid(year: year, month: month, day: day) else { return nil }
        var seconds = CivilCalendar.days(year: year, month: month, day: day) * 86_400
        var millis: Int64 = 0
        var offset = defaultOffsetSeconds
        if scanner.atEnd {
            return EventTime(epochMilliseconds: (seconds - Int64(offset)) * 1000)
        }
        guard scanner.consume(UInt8(ascii: "T")) || scanner.consume(UInt8(ascii: " ")),
            let (hour, minute, second) = parseClock(&scanner)
        else { return nil }
        if scanner.consume(UInt8(ascii: ".")) || scanner.consume(UInt8(ascii: ",")) {
            guard let fraction = scanner.number(minDigits: 1, maxDigits: 9) else { return nil }
            var scaled = fraction.value
            var digits = fraction.digits
            while digits > 3 { scaled /= 10; digits -= 1 }
            while digits < 3 { scaled *= 10; digits += 1 }
            millis = Int64(scaled)
        }
        scanner.skipSpaces()
        if !scanner.atEnd {
            guard let zone = parseZone(&scanner) else { return nil }
            offset = zone
        }
        scanner.skipSpaces()
        guard scanner.atEnd else { return nil }
        seconds += Int64(hour * 3600 + minute * 60 + second)
        return EventTime(epochMilliseconds: (seconds - Int64(offset)) * 1000 + millis)
    }

    /// `HH:mm[:ss]` (a leap second reads as :59).
    private func parseClock(_ scanner: inout Scanner) -> (hour: Int, minute: Int, second: Int)? {
        guard let hour = scanner.number(minDigits: 1, maxDigits: 2)?.value, hour < 24,
            scanner.consume(UInt8(ascii: ":")),
            let minute = scanner.number(minDigits: 2, maxDigits: 2)?.value, minute < 60
        else { return nil }
        var second = 0
        if scanner.consume(UInt8(ascii: ":")) {
            guard let value = scanner.number(minDigits: 2, maxDigits: 2)?.value, value <= 60 else { return nil }
            second = min(value, 59)
        }
        return (hour, minute, second)
    }

    private func parseZone(_ scanner: inout Scanner) -> Int? {
        if scanner.consume(UInt8(ascii: "Z")) || scanner.consume(UInt8(ascii: "z")) { return 0 }
        if scanner.consumeWord("UTC") || scanner.consumeWord("GMT") {
            if scanner.atEnd { return 0 }
        }
        if scanner.consumeWord("IST") { return Self.istOffsetSeconds }
        let sign: Int
        if scanner.consume(UInt8(ascii: "+")) {
            sign = 1
        } else if scanner.consume(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = scanner.number(minDigits: 2, maxDigits: 2)?.value else { return nil }
        _ = scanner.consume(UInt8(ascii: ":"))
        let minutes = scanner.number(minDigits: 2, maxDigits: 2)?.value ?? 0
        guard hours <= 14, minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `Fri, 08 Mar 2024 06:12:00 GMT` (the weekday is optional and not checked).
    private func parseRFC1123(_ scanner: inout Scanner) -> EventTime? {
        if let letters = scanner.letters(), letters.count == 3 {
            _ = scanner.consume(UInt8(ascii: ","))
            scanner.skipSpaces()
        } else {
            return nil
        }
        guard let day = scanner.number(minDigits: 1, maxDigits: 2)?.value else { return nil }
        scanner.skipSpaces()
        guard let monthName = scanner.letters()?.lowercased(),
            let monthIndex = Self.months.firstIndex(of: String(monthName.prefix(3)))
        else { return nil }
        scanner.skipSpaces()
        guard let year = scanner.number(minDigits: 4, maxDigits: 4)?.value else { return nil }
        scanner.skipSpaces()
        guard let (hour, minute, second) = parseClock(&scanner) else { return nil }
        scanner.skipSpaces()
        var offset = 0
        if !scanner.atEnd {
            guard let zone = parseZone(&scanner) else { return nil }
            offset = zone
        }
        guard CivilCalendar.isValid(year: year, month: monthIndex + 1, day: day) else { return nil }
        let seconds = CivilCalendar.days(year: year, month: monthIndex + 1, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return EventTime(epochSeconds: seconds)
    }
}

/// A cursor over ASCII bytes for the timestamp grammar.
private struct Scanner {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func consumeWord(_ word: String) -> Bool {
        let wordBytes = Array(word.utf8)
        guard index + wordBytes.count <= bytes.count,
            Array(bytes[index..<index + wordBytes.count]) == wordBytes
        else { return false }
        index += wordBytes.count
        return true
    }

    mutating func number(minDigits: Int, maxDigits: Int) -> (value: Int, digits: Int)? {
        var value = 0
        var digits = 0
        while index < bytes.count, digits < maxDigits, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int(bytes[index] - 0x30)
            digits += 1
            index += 1
        }
        // Skip extra fractional digits beyond what we keep (e.g. nanoseconds).
        if maxDigits == 9 {
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        }
        return digits >= minDigits ? (value, digits) : nil
    }

    mutating func letters() -> String? {
        let start = index
        while index < bytes.count,
            (bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z"))
                || (bytes[index] >= UInt8(ascii: "a") && bytes[index] <= UInt8(ascii: "z"))
        {
            index += 1
        }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }
}
