import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `/metrics` of the real binary: Prometheus text with the relay's counters and gauges.
@Suite("Metrics (real binary)", .serialized)
struct MetricsEndToEndTests {
    @Test("/metrics reports callbacks by result and the delivery gauges")
    func metrics() async throws {
        let fixture = try RelayFixture()
        defer { fixture.cleanUp() }
        let relay = try await fixture.start(arguments: ["--no-delivery"])
        #expect(try await fixture.postClickpost(awb: "M1") != nil)
        #expect(try await fixture.postClickpost(awb: "M1") != nil)  // duplicate
        try await Task.sleep(for: .milliseconds(300))
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(fixture.port)/metrics")
        request.method = .GET
        let response = try await RelayFixture.client(for: fixture.port).execute(request, timeout: .seconds(5))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(text.contains(#"relay_callbacks_total{aggregator="clickpost",result="accepted"} 1"#))
        #expect(text.contains(#"relay_callbacks_total{aggregator="clickpost",result="duplicate"} 1"#))
        #expect(text.contains("relay_notifications_total 1"))
        #expect(text.contains("relay_pending_deliveries"))
        #expect(text.contains("relay_oldest_due_retry_age_seconds"))
        #expect(await relay.terminate() == 0)
    }
}
