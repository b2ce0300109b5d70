import RelayStore
import Testing

@Suite("Back-off after failed claims and commits")
struct BackoffTests {
    @Test("50 ms doubling to a 5 s cap; a success starts again at 50 ms")
    func doublesToCap() {
        var backoff = Backoff()
        let pauses = (0..<10).map { _ in backoff.next() }
        #expect(pauses.prefix(4) == [.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(pauses.last == .seconds(5))
        #expect(pauses.allSatisfy { $0 <= .seconds(5) })
        backoff.reset()
        #expect(backoff.next() == .milliseconds(50))
    }
}
