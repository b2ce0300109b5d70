import RelayCore
import Testing

@Suite("Timestamp formats (docs/AGGREGATORS.md §6.5)")
struct TimestampParserTests {
    static let cases: [(text: String, iso: String)] = [
        ("2019-05-06T10:04:20Z", "2019-05-06T10:04:20Z"),
        ("2018-08-06T15:00:32.002000Z", "2018-08-06T15:00:32.002Z"),
        ("2016-07-12T17:12:36.710", "2016-07-12T11:42:36.710Z"),
        ("2024-03-04T09:28:00+05:30", "2024-03-04T03:58:00Z"),
        ("2024-03-04T09:28:00+0530", "2024-03-04T03:58:00Z"),
        ("2024-03-08 11:42:00", "2024-03-08T06:12:00Z"),
        ("2019-04-29 07:47:07.161221", "2019-04-29T02:17:07.161Z"),
        ("23 05 2023 11:43:52", "2023-05-23T06:13:52Z"),
        ("Fri, 08 Mar 2024 06:12:00 GMT", "2024-03-08T06:12:00Z"),
        ("2024-03-08", "2024-03-07T18:30:00Z"),
        ("1710000000", "2024-03-09T16:00:00Z"),
        ("1710000000123", "2024-03-09T16:00:00.123Z"),
        ("1710000000123456", "2024-03-09T16:00:00.123Z"),  // microseconds
        ("1710000000123456789", "2024-03-09T16:00:00.123Z"),  // nanoseconds
        ("9223372036854775807", "2262-04-11T23:47:16.854Z"),  // Int64.max: read, finite (and untrusted later)
    ]

    @Test("reads each format (zone-less values as IST)", arguments: cases)
    func parses(_ example: (text: String, iso: String)) {
        #expect(TimestampParser().parse(example.text)?.iso8601 == example.iso)
    }

    @Test("zone-less Clickpost return-request times can be read as UTC")
    func utcDefault() {
        let parser = TimestampParser(defaultOffsetSeconds: 0)
        #expect(parser.parse("2022-11-18 07:30:08.396840")?.iso8601 == "2022-11-18T07:30:08.396Z")
    }

    @Test("rejects what is not a timestamp", arguments: ["", "yesterday", "2024-13-01 00:00:00", "2024-02-30", "31 02 2024 10:00:00", "12:00"])
    func rejects(_ text: String) {
        #expect(TimestampParser().parse(text) == nil)
    }
}
