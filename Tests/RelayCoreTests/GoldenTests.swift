import Foundation
import RelayCore
import Testing

/// Every research payload normalises to its checked-in expected output.
@Suite("Golden payloads")
struct GoldenTests {
    struct Fixture: CustomTestStringConvertible, Sendable {
        let aggregator: Aggregator
        let input: URL
        let expected: URL
        var testDescription: String { "\(aggregator.rawValue)/\(input.lastPathComponent)" }
    }

    static let fixtures: [Fixture] = {
        guard let root = Bundle.module.url(forResource: "Resources", withExtension: nil) else { return [] }
        var fixtures: [Fixture] = []
        for aggregator in Aggregator.allCases {
            let directory = root.appendingPathComponent(aggregator.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".json") && !name.hasSuffix(".expected.json") {
                let input = directory.appendingPathComponent(name)
                let expected = directory.appendingPathComponent(String(name.dropLast(5)) + ".expected.json")
                fixtures.append(Fixture(aggregator: aggregator, input: input, expected: expected))
            }
        }
        return fixtures
    }()

    static let client = Client(
        id: "acme", metadata: [(key: "Account Code", value: "ACME01")],
        endpoints: [Endpoint(id: "acme/notification", kind: .notification, url: "http://127.0.0.1:1/n")])

    @Test("there is a fixture for every research payload")
    func fixturesExist() {
        #expect(Self.fixtures.count >= 42)
    }

    @Test("payload normalises to its expected output", arguments: fixtures)
    func golden(_ fixture: Fixture) throws {
        // given
        let body = try [UInt8](Data(contentsOf: fixture.input))
        let expected = try JSONValue.parse([UInt8](Data(contentsOf: fixture.expected)))
        // when
        let parsed = try CallbackParser.parse(aggregator: fixture.aggregator, body: body, contentType: "application/json")
        let result = Normaliser().normalise(
            events: parsed.events, client: Self.client, receivedAt: EventTime(epochSeconds: 1_711_000_000),
            context: InMemoryNormalisationContext())
        // then
        #expect(JSONValue.array(result.notifications.map(\.payload)) == expected)
        for notification in result.notifications {
            #expect(notification.endpointIds == ["acme/notification"])
            #expect((notification.payload["returnOrderInfo"]?.isNull == false) == notification.direction.isReturn)
        }
    }
}
