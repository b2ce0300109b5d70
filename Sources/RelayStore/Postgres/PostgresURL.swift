import Foundation
import NIOSSL
import PostgresNIO

/// Reads `postgres://user:password@host:port/database?sslmode=…` into a client configuration.
///
/// A `host` query parameter that is a directory (libpq's spelling,
/// `postgres://relay@/relay?host=/var/run/postgresql&port=5432`)
/// connects through the server's Unix-domain socket in it (`.s.PGSQL.<port>`): for a PostgreSQL on the same machine,
/// whose `peer` authentication then needs no password in the URL. A socket is local, so TLS does not apply.
///
/// TLS toward a remote host is never silently dropped: to a host that is not loopback (127.0.0.0/8, ::1,
/// `localhost`), no `sslmode` means `require`, and `prefer`/`allow` are upgraded to `require` (libpq's `prefer` falls
/// back to plaintext when the server offers no TLS, which an attacker on the path can force). An explicit
/// `sslmode=disable` toward a remote host is honoured (a private network, e.g. compose) but logged as a warning at
/// every start. Loopback hosts keep libpq's default, `prefer`.
enum PostgresURL {
    /// The resolved TLS mode, and a warning to log when the URL asks for less than TLS toward a remote host.
    struct Resolved {
        var configuration: PostgresClient.Configuration
        var effectiveMode: String
        var warning: String?
    }

    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        try resolve(url).configuration
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.") || bare.hasPrefix("/")
    }

    static func resolve(_ url: String) throws -> Resolved {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresStoreError.invalidURL("expected postgres://user:password@host:port/database")
        }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        let queryPort = components.queryItems?.first { $0.name == "port" }?.value
        guard let port = components.port ?? (queryPort.map { Int($0) } ?? 5432), (1...65535).contains(port) else {
            throw PostgresStoreError.invalidURL("the port must be a number from 1 to 65535")
        }
        let username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        var database = String(components.path.drop { $0 == "/" })
        if database.isEmpty { database = username }
        let requested = components.queryItems?.first { $0.name == "sslmode" }?.value
        let remote = !isLoopback(host)
        var warning: String?
        var mode = requested ?? (remote ? "require" : "prefer")
        switch mode {
        case "disable", "prefer", "allow", "require", "verify-ca", "verify-full": break
        default: throw PostgresStoreError.invalidURL("sslmode must be disable, prefer or require (got \(mode))")
        }
        if let directory = components.queryItems?.first(where: { $0.name == "host" })?.value {
            guard directory.hasPrefix("/") else {
                throw PostgresStoreError.invalidURL("the host parameter must be a socket directory (an absolute path)")
            }
            guard components.host?.isEmpty ?? true else {
                throw PostgresStoreError.invalidURL("name the host once: a host in the URL or a socket directory in ?host=")
            }
            guard mode == "disable" || mode == "prefer" || mode == "allow" else {
                throw PostgresStoreError.invalidURL("sslmode=\(mode) cannot be met over a Unix-domain socket")
            }
            let path = (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/.s.PGSQL.\(port)"
            let configuration = PostgresClient.Configuration(unixSocketPath: path, username: username,
                                                             password: password, database: database)
            return Resolved(configuration: configuration, effectiveMode: "disable", warning: nil)
        }
        if remote, mode == "prefer" || mode == "allow" {
            warning = "sslmode=\(mode) toward the remote host \(host) is treated as require (no plaintext fallback)"
            mode = "require"
        } else if remote, mode == "disable" {
            warning = "sslmode=disable: the connection to the remote host \(host) is NOT encrypted (password and data "
                + "in plaintext); use sslmode=require unless this is a private network"
        }
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        default: tls = .require(.makeClientConfiguration())
        }
        let configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                         database: database, tls: tls)
        return Resolved(configuration: configuration, effectiveMode: mode, warning: warning)
    }
}
