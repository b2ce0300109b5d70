import Foundation
import RelayCore
import Synchronization

/// Server-side sessions of the `/ops` page. The cookie holds only a random session id (256 bits from the system
/// generator), never the admin token; each session knows the name of the token that signed in (for the audit
/// log), its CSRF token and its expiry. Sign-in failures are throttled per client address.
final class OpsSessions: Sendable {
    struct Session: Sendable {
        var actor: String
        /// `RelayConfiguration.Admin.fingerprint` of the token that signed in: the session ends when that token is
        /// no longer configured.
        var token: [UInt8]
        var csrf: String
        var expires: ContinuousClock.Instant
    }

    /// A session lasts this long after sign-in.
    let lifetime: Duration
    /// At most this many failed sign-ins per address within `failureWindow`; then 429 until the window passes.
    let maxFailures: Int
    let failureWindow: Duration
    /// Bounds on the maps (the oldest entries go first).
    static let maxSessions = 1_000
    static let maxTrackedAddresses = 10_000

    /// The session of the /ops request being answered (pages put its CSRF token into their forms).
    @TaskLocal static var current: Session?

    private let sessions = Mutex<[String: Session]>([:])
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(lifetime: Duration = .seconds(8 * 3600), maxFailures: Int = 5, failureWindow: Duration = .seconds(900)) {
        self.lifetime = lifetime
        self.maxFailures = maxFailures
        self.failureWindow = failureWindow
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            for shift in stride(from: 60, through: 0, by: -4) { text.append(digits[Int((word >> UInt64(shift)) & 15)]) }
        }
        return text
    }

    /// Starts a session for `actor`, signed in with the token of this fingerprint; returns its id.
    func create(actor: String, token: [UInt8]) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let session = Session(actor: actor, token: token, csrf: Self.randomToken(), expires: .now + lifetime)
        sessions.withLock { sessions in
            let now = ContinuousClock.now
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= Self.maxSessions, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions.removeValue(forKey: oldest.key)
            }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The live session with this id, if any (an expired one is removed).
    func session(_ id: String) -> Session? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > .now else {
                sessions.removeValue(forKey: id)
                return nil
            }
            return session
        }
    }

    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Whether `address` may try to sign in now.
    func mayTry(_ address: String) -> Bool {
        failures.withLock { failures in
            let since = ContinuousClock.now - failureWindow
            let recent = (failures[address] ?? []).filter { $0 > since }
            failures[address] = recent.isEmpty ? nil : recent
            return recent.count < maxFailures
        }
    }

    func recordFailure(_ address: String) {
        failures.withLock { failures in
            if failures.count >= Self.maxTrackedAddresses, failures[address] == nil {
                let since = ContinuousClock.now - failureWindow
                failures = failures.filter { $0.value.contains { $0 > since } }
                if failures.count >= Self.maxTrackedAddresses, let any = failures.keys.first {
                    failures.removeValue(forKey: any)
                }
            }
            failures[address, default: []].append(.now)
        }
    }

    func recordSuccess(_ address: String) {
        _ = failures.withLock { $0.removeValue(forKey: address) }
    }
}
