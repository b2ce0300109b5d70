/// An instant, in milliseconds since the Unix epoch (UTC).
public struct EventTime: Sendable, Hashable, Comparable, Codable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var epochMilliseconds: Int64

    public init(epochMilliseconds: Int64) {
        self.epochMilliseconds = epochMilliseconds
    }

    public init(epochSeconds: Int64) {
        self.epochMilliseconds = epochSeconds * 1000
    }

    /// Whole seconds since the epoch (floor).
    public var epochSeconds: Int64 {
        epochMilliseconds >= 0 ? epochMilliseconds / 1000 : (epochMilliseconds - 999) / 1000
    }

    /// 2000-01-01T00:00:00Z: no courier event of a live shipment is older.
    public static let earliestTrusted = EventTime(epochSeconds: 946_684_800)

    /// How far after the receive time an event time may lie and still be trusted (clock skew, zone mistakes).
    public static let trustedFutureMilliseconds: Int64 = 24 * 3_600_000

    /// Whether this courier event time can order a shipment's events: not before 2000 and at most 24 hours after
    /// the callback was received. An untrusted time is stored and shown, but never used to suppress other events.
    public func isTrusted(receivedAt: EventTime) -> Bool {
        self >= Self.earliestTrusted
            && epochMilliseconds <= receivedAt.epochMilliseconds + Self.trustedFutureMilliseconds
    }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.epochMilliseconds < rhs.epochMilliseconds
    }

    /// ISO-8601 in UTC, `2024-03-04T09:28:00Z` (milliseconds shown only when not zero).
    public var iso8601: String {
        let seconds = epochSeconds
        let millis = Int(epochMilliseconds - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        text += "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if millis != 0 { text += ".\(pad(millis, 3))" }
        return text + "Z"
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's `days_from_civil`), so the core needs no Foundation
/// calendar and no time-zone database.
enum CivilCalendar {
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Int64(era * 146_097 + dayOfEra - 719_468)
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = Int(days) + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex + (monthIndex < 10 ? 3 : -9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return day <= (month == 2 && leap ? 29 : lengths[month - 1])
    }
}
