import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RelayCore
import RelayServer
import RelayStore
import Testing

/// `/ops` sessions, CSRF and origin checks, security headers, validated actions, named admin tokens and the audit
/// log (issue #12, point 8).
@Suite("Ops and admin security")
struct OpsSecurityTests {
    /// A relay behind an https public URL with the single token (named "admin") and a named token "alice".
    struct Setup {
        let relay: TestRelay
        let configuration: RelayConfiguration
        let alice = TestRelay.randomSecret()

        init() throws {
            relay = try TestRelay()
            var secrets = relay.secrets
            secrets["ALICE"] = alice
            let yaml = """
                server: { listen: "127.0.0.1:0", public_url: "https://relay.example" }
                storage: { sqlite: { path: "\(relay.databasePath)" } }
                admin: { token: "${ADMIN}", tokens: [{ name: alice, token: "${ALICE}" }] }
                clients:
                  - id: acme
                    aggregators: { clickpost: { webhook_key: "${CP_KEY}" } }
                    endpoints:
                      notification: { url: "http://127.0.0.1:9/n", signing_secret: "${WHSEC}" }
                """
            configuration = try RelayConfiguration.parse(yaml: yaml, environment: secrets)
        }

        func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
            var logger = Logger(label: "ops-test")
            logger.logLevel = .warning
            let app = try await buildApplication(configuration: configuration, options: .init(delivery: false),
                                                 logger: logger)
            try await app.test(.router) { client in try await body(client) }
        }
    }

    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: "https://relay.example"]

    /// Signs in with `token`; returns the session cookie (`relay_ops=…`) and the CSRF token of the /ops page.
    static func signIn(_ client: some TestClientProtocol, token: String) async throws -> (cookie: String, csrf: String) {
        let response = try await client.execute(uri: "/ops/signin", method: .post, headers: form,
                                                body: ByteBuffer(string: "token=\(URLForm.encode(token))"))
        #expect(response.status == .seeOther)
        let setCookie = response.headers[.setCookie] ?? ""
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try await client.execute(uri: "/ops", method: .get, headers: [.cookie: cookie])
        #expect(page.status == .ok)
        let html = String(buffer: page.body)
        let marker = #"name="csrf" value=""#
        let csrf = html.range(of: marker).map { String(html[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
        return (cookie, csrf)
    }

    @Test("sign-in starts a random server-side session: Secure, HttpOnly, SameSite=Strict, expiry; sign-out ends it")
    func session() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            let response = try await client.execute(uri: "/ops/signin", method: .post, headers: Self.form,
                                                    body: ByteBuffer(string: "token=\(setup.alice)"))
            #expect(response.status == .seeOther)
            let setCookie = try #require(response.headers[.setCookie])
            #expect(!setCookie.contains(setup.alice) && !setCookie.contains(setup.relay.secrets["ADMIN"]!))
            for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Max-Age=28800", "Path=/ops"] {
                #expect(setCookie.contains(attribute), "\(attribute) in \(setCookie)")
            }
            let id = setCookie.dropFirst("relay_ops=".count).prefix { $0 != ";" }
            #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
            let (cookie, csrf) = try await Self.signIn(client, token: setup.alice)
            #expect(csrf.count == 64)
            // A made-up or the old token-as-cookie is no session.
            for bogus in ["relay_ops=\(setup.relay.secrets["ADMIN"]!)", "relay_ops=\(String(repeating: "0", count: 64))"] {
                let page = try await client.execute(uri: "/ops", method: .get, headers: [.cookie: bogus])
                #expect(page.status == .seeOther && page.headers[.location] == "/ops/signin")
            }
            // Sign-out needs the CSRF token, then the session is gone.
            var headers = Self.form
            headers[.cookie] = cookie
            let refused = try await client.execute(uri: "/ops/signout", method: .post, headers: headers,
                                                   body: ByteBuffer(string: "csrf=wrong"))
            #expect(refused.status == .forbidden)
            let out = try await client.execute(uri: "/ops/signout", method: .post, headers: headers,
                                               body: ByteBuffer(string: "csrf=\(csrf)"))
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            let after = try await client.execute(uri: "/ops", method: .get, headers: [.cookie: cookie])
            #expect(after.status == .seeOther && after.headers[.location] == "/ops/signin")
        }
    }

    @Test("every /ops answer forbids framing and sniffing")
    func securityHeaders() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            let (cookie, _) = try await Self.signIn(client, token: setup.alice)
            for (uri, headers) in [("/ops/signin", HTTPFields()), ("/ops", [.cookie: cookie]),
                                   ("/ops/endpoints", [.cookie: cookie]), ("/ops/audit", [.cookie: cookie]),
                                   ("/ops", HTTPFields())] as [(String, HTTPFields)] {
                let response = try await client.execute(uri: uri, method: .get, headers: headers)
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "\(uri)")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
            }
        }
    }

    @Test("sign-in is throttled: after 5 failures from one address, 429 even for the right token")
    func throttle() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            for _ in 0..<5 {
                let wrong = try await client.execute(uri: "/ops/signin", method: .post, headers: Self.form,
                                                     body: ByteBuffer(string: "token=wrong"))
                #expect(wrong.status == .unauthorized)
            }
            let throttled = try await client.execute(uri: "/ops/signin", method: .post, headers: Self.form,
                                                     body: ByteBuffer(string: "token=\(setup.alice)"))
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.setCookie] == nil)
        }
    }

    @Test("state-changing forms need the CSRF token and the relay's origin; unknown endpoints and actions are 404")
    func formsValidated() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            let (cookie, csrf) = try await Self.signIn(client, token: setup.alice)
            var headers = Self.form
            headers[.cookie] = cookie
            func post(_ uri: String, _ body: String, origin: String? = "https://relay.example") async throws -> TestResponse {
                var fields = headers
                fields[.origin] = origin
                return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body))
            }
            let endpointRows = "SELECT count(*) FROM endpoints"
            #expect(try await post("/ops/endpoints/acme/notification/disable", "").status == .forbidden)
            #expect(try await post("/ops/endpoints/acme/notification/disable", "csrf=\(csrf)",
                                   origin: "https://evil.example").status == .forbidden)
            #expect(try setup.relay.count(endpointRows) == 0)
            #expect(try await post("/ops/endpoints/acme/bogus/disable", "csrf=\(csrf)").status == .notFound)
            #expect(try await post("/ops/endpoints/acme/notification/frobnicate", "csrf=\(csrf)").status == .notFound)
            #expect(try await post("/ops/dead-letters/dlv_1/foo", "csrf=\(csrf)").status == .notFound)
            #expect(try await post("/ops/dead-letters/dlv_999/replay", "csrf=\(csrf)").status == .notFound)
            #expect(try setup.relay.count(endpointRows) == 0, "nothing changed by refused forms")
            // The real thing: disabled, recorded with the token's name.
            #expect(try await post("/ops/endpoints/acme/notification/disable", "csrf=\(csrf)").status == .seeOther)
            #expect(try setup.relay.count("SELECT count(*) FROM endpoints WHERE disabled = 1") == 1)
            let audit = try await client.execute(uri: "/ops/audit", method: .get, headers: [.cookie: cookie])
            let html = String(buffer: audit.body)
            #expect(html.contains("alice") && html.contains("endpoint_disable") && html.contains("acme/notification"))
        }
    }

    @Test("named admin tokens: each works, the audit API names who did what; the old single token is 'admin'")
    func namedTokensAndAuditAPI() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            func admin(_ method: HTTPRequest.Method, _ uri: String, token: String, body: String? = nil) async throws
                -> TestResponse
            {
                try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(token)"],
                                         body: body.map { ByteBuffer(string: $0) })
            }
            let adminToken = setup.relay.secrets["ADMIN"]!
            #expect(try await admin(.get, "/admin/v1/audit", token: "wrong").status == .unauthorized)
            #expect(try await admin(.post, "/admin/v1/endpoints/acme/notification/disable", token: setup.alice).status == .ok)
            #expect(try await admin(.post, "/admin/v1/endpoints/acme/notification/enable", token: adminToken).status == .ok)
            #expect(try await admin(.post, "/admin/v1/endpoints/acme/notification/recover", token: setup.alice,
                                    body: #"{"since":"2026-01-01T00:00:00Z"}"#).status == .accepted)
            #expect(try await admin(.post, "/admin/v1/dead-letters/replay", token: adminToken,
                                    body: #"{"endpoint":"acme/notification"}"#).status == .accepted)
            #expect(try await admin(.post, "/admin/v1/dead-letters/replay", token: adminToken,
                                    body: #"{"dryRun":true}"#).status == .ok)
            let page = try await admin(.get, "/admin/v1/audit?limit=2", token: setup.alice)
            #expect(page.status == .ok)
            let items = page.json?["items"]?.array ?? []
            #expect(items.map { $0["action"]?.text ?? "" } == ["bulk_replay", "endpoint_recover"])
            #expect(items.map { $0["actor"]?.text ?? "" } == ["admin", "alice"])
            #expect(items.first?["target"]?.text?.hasPrefix("rpl_") == true)
            #expect(items.allSatisfy { $0["via"] == "api" && $0["at"]?.text != nil })
            let cursor = try #require(page.json?["nextCursor"]?.text)
            let older = try await admin(.get, "/admin/v1/audit?cursor=\(cursor)", token: adminToken)
            #expect((older.json?["items"]?.array ?? []).map { $0["action"]?.text ?? "" }
                    == ["endpoint_enable", "endpoint_disable"])
            #expect(older.json?["nextCursor"]?.isNull == true)
            #expect(try await admin(.get, "/admin/v1/audit?cursor=x", token: adminToken).status == .badRequest)
        }
    }

    @Test("config: admin.tokens names are validated and unique; the single token is named admin")
    func adminTokensConfig() throws {
        let base = """
            storage: { sqlite: { path: "/tmp/x.sqlite" } }
            clients: [{ id: acme, aggregators: { clickpost: { webhook_key: k } },
                        endpoints: { notification: { url: "http://127.0.0.1:9/n", signing_secret: "whsec_\(Base64.encode(Array(repeating: 1, count: 32)))" } } }]
            """
        // The demo value is fine on loopback (the README's try-out).
        _ = try RelayConfiguration.parse(yaml: base + "\nserver: { listen: \"127.0.0.1:8080\" }\nadmin: { token: demo-admin-token }",
                                         environment: [:])
        let single = try RelayConfiguration.parse(yaml: base + "\nadmin: { token: token-one-0123456789 }", environment: [:])
        #expect(single.admin.name(of: "token-one-0123456789") == "admin" && single.admin.name(of: "token-two-0123456789") == nil)
        let named = try RelayConfiguration.parse(
            yaml: base + "\nadmin: { tokens: [{ name: alice, token: token-one-0123456789 }, { name: bot-1, token: token-two-0123456789 }] }", environment: [:])
        #expect(named.admin.name(of: "token-two-0123456789") == "bot-1" && named.admin.name(of: nil) == nil)
        for bad in ["admin: { tokens: [{ name: Alice!, token: token-one-0123456789 }] }",
                    "admin: { tokens: [{ name: a, token: token-one-0123456789 }, { name: a, token: token-two-0123456789 }] }",
                    "admin: { tokens: [{ name: a, token: token-one-0123456789 }, { name: b, token: token-one-0123456789 }] }",
                    "admin: { tokens: [{ name: a }] }", "admin: { tokens: { name: a, token: t } }",
                    // Too short to be a secret; the example's public demo value where others can reach /admin.
                    "admin: { token: short-token }",
                    "server: { listen: \"0.0.0.0:8080\" }\nadmin: { token: demo-admin-token }"] {
            #expect(throws: (any Error).self, "\(bad)") {
                try RelayConfiguration.parse(yaml: base + "\n" + bad, environment: [:])
            }
        }
    }

    @Test("an /ops session ends when a reload removes or replaces the token that signed it in")
    func sessionEndsWithItsToken() async throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        let (leaked, replacement, keeper) = (TestRelay.randomSecret(), TestRelay.randomSecret(), TestRelay.randomSecret())
        let path = relay.directory.appendingPathComponent("ops.yaml").path
        @Sendable func write(alice: String) throws {
            try """
                server: { listen: "127.0.0.1:0", public_url: "https://relay.example" }
                storage: { sqlite: { path: "\(relay.databasePath)" } }
                admin: { tokens: [{ name: alice, token: "\(alice)" }, { name: ops, token: "\(keeper)" }] }
                clients:
                  - id: acme
                    aggregators: { clickpost: { webhook_key: "\(relay.secrets["CP_KEY"]!)" } }
                    endpoints:
                      notification: { url: "http://127.0.0.1:9/n", signing_secret: "\(relay.secrets["WHSEC"]!)" }
                """.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write(alice: leaked)
        var logger = Logger(label: "ops-test")
        logger.logLevel = .warning
        let app = try await buildApplication(configuration: try RelayConfiguration.load(path: path, environment: [:]),
                                             options: .init(delivery: false, configPath: path), logger: logger)
        try await app.test(.router) { client in
            let (aliceCookie, _) = try await Self.signIn(client, token: leaked)
            let (opsCookie, _) = try await Self.signIn(client, token: keeper)
            // alice's token is replaced (same name, new value), as after a leak
            try write(alice: replacement)
            let reload = try await client.execute(uri: "/admin/v1/config/reload", method: .post,
                                                  headers: [.authorization: "Bearer \(keeper)"])
            #expect(reload.status == .ok)
            let ended = try await client.execute(uri: "/ops", method: .get, headers: [.cookie: aliceCookie])
            #expect(ended.status == .seeOther && ended.headers[.location] == "/ops/signin")
            let kept = try await client.execute(uri: "/ops", method: .get, headers: [.cookie: opsCookie])
            #expect(kept.status == .ok)
        }
    }

    @Test("a longer delivery lease needs a restart, and says so at every reload until one, not only the first")
    func leaseNeedsARestart() throws {
        let relay = try TestRelay()
        defer { relay.cleanUp() }
        let path = relay.directory.appendingPathComponent("lease.yaml").path
        func write(lease: Int) throws {
            try """
                storage: { sqlite: { path: "\(relay.databasePath)" } }
                delivery: { timeout_seconds: 10, lease_seconds: \(lease) }
                clients:
                  - id: acme
                    aggregators: { clickpost: { webhook_key: "\(relay.secrets["CP_KEY"]!)" } }
                    endpoints:
                      notification: { url: "http://127.0.0.1:9/n", signing_secret: "\(relay.secrets["WHSEC"]!)" }
                """.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write(lease: 60)
        let live = LiveConfiguration(try RelayConfiguration.load(path: path, environment: [:]))
        let reloader = ConfigReloader(path: path, live: live, logger: Logger(label: "reload-test"))
        try write(lease: 120)
        #expect(reloader.reload().restartNeeded == ["delivery timeouts"])
        #expect(reloader.reload().restartNeeded == ["delivery timeouts"])
        try write(lease: 60)
        #expect(reloader.reload().restartNeeded == [])
    }

    @Test("a store failure behind /admin and /ops answers 503 (JSON with Retry-After; a page), not an empty 500")
    func storeFailureIs503() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            let (cookie, _) = try await Self.signIn(client, token: setup.alice)
            // A real store failing for real: the deliveries table is gone under it.
            try SQLiteConnection(path: setup.relay.databasePath).execute("DROP TABLE deliveries")
            let api = try await client.execute(uri: "/admin/v1/dead-letters", method: .get,
                                               headers: [.authorization: "Bearer \(setup.alice)"])
            #expect(api.status == .serviceUnavailable)
            #expect(api.json?["error"] == "storage_unavailable")
            #expect(api.headers[.retryAfter] == "5")
            let page = try await client.execute(uri: "/ops", method: .get, headers: [.cookie: cookie])
            #expect(page.status == .serviceUnavailable)
            #expect(String(buffer: page.body).contains("Storage unavailable"))
        }
    }

    @Test("a bulk replay or list with a filter member it does not know, or a time it cannot read, is refused: nothing replayed")
    func unknownFilterIsRefused() async throws {
        let setup = try Setup()
        defer { setup.relay.cleanUp() }
        try await setup.test { client in
            let auth: HTTPFields = [.authorization: "Bearer \(setup.alice)", .contentType: "application/json"]
            for body in [#"{"client":"acme","dry_run":true}"#, #"{"sinse":"2026-11-25T00:00:00Z","dryRun":true}"#,
                         #"{"since":"yesterday"}"#, #"{"client":["acme"]}"#] {
                let response = try await client.execute(uri: "/admin/v1/dead-letters/replay", method: .post,
                                                        headers: auth, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.json?["error"] == "invalid_filter", "\(body)")
            }
            let list = try await client.execute(uri: "/admin/v1/dead-letters?clinet=acme", method: .get, headers: auth)
            #expect(list.status == .badRequest && list.json?["error"] == "invalid_filter")
            let good = try await client.execute(uri: "/admin/v1/dead-letters?client=acme&limit=5", method: .get,
                                                headers: auth)
            #expect(good.status == .ok)
            let dryRun = try await client.execute(uri: "/admin/v1/dead-letters/replay", method: .post, headers: auth,
                                                  body: ByteBuffer(string: #"{"client":"acme","dryRun":true}"#))
            #expect(dryRun.status == .ok && dryRun.json?["capped"] == false)
            #expect(try setup.relay.count("SELECT count(*) FROM audit_log") == 0)
            // The /ops list: a time it cannot read is said on the page, with the form kept, not ignored.
            let (cookie, _) = try await Self.signIn(client, token: setup.alice)
            let page = try await client.execute(uri: "/ops?since=yesterday&client=acme", method: .get,
                                                headers: [.cookie: cookie])
            let html = String(buffer: page.body)
            #expect(page.status == .badRequest)
            #expect(html.contains("since is not an ISO-8601 time") && html.contains(#"name="since" value="yesterday""#))
            let fine = try await client.execute(uri: "/ops?since=2026-11-25T00:00:00Z", method: .get,
                                                headers: [.cookie: cookie])
            #expect(fine.status == .ok)
        }
    }
}
