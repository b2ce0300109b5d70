import RelayCore
import Testing

@Suite("Standard Webhooks signing")
struct WebhookSignerTests {
    @Test("matches the Standard Webhooks specification vector")
    func specVector() {
        let signer = WebhookSigner(secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                         body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("signs with both secrets during rotation")
    func rotation() {
        let signer = WebhookSigner(secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                             "whsec_cmVsYXktZGVtby1zaWduaW5nLXNlY3JldC0zMmJ5dGU="])
        let parts = signer.signature(id: "a", timestamp: 1, body: Array("{}".utf8)).split(separator: " ")
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.hasPrefix("v1,") })
    }

    @Test("base64 round trip")
    func base64() {
        for count in 0..<10 {
            let bytes = (0..<count).map { UInt8($0 * 37 % 256) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.decode("not base64!") == nil)
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(ConstantTime.matchesAny("secret", ["other", "secret"]))
        #expect(!ConstantTime.matchesAny("secre", ["secret"]))
        #expect(!ConstantTime.matchesAny("secrets", ["secret"]))
        #expect(!ConstantTime.matchesAny(nil, ["secret"]))
        #expect(!ConstantTime.matchesAny("", [""]))
    }
}
