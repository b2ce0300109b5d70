import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL for end-to-end tests: databases in the test server the README's test command started
/// (`RELAY_TEST_POSTGRES_URL`), or a private server this test starts, stops and restarts itself.
final class PostgresCluster: @unchecked Sendable {
    static var bin: String { ProcessInfo.processInfo.environment["RELAY_TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin" }
    static var sharedURL: String? { ProcessInfo.processInfo.environment["RELAY_TEST_POSTGRES_URL"] }
    static var canStartPrivate: Bool { FileManager.default.isExecutableFile(atPath: bin + "/initdb") }

    let directory: String
    let port: Int
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// Creates (initdb) a private server in a scratch directory; `start()` runs it.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:", directory]) }
        port = RelayProcess.freePort()
        try Self.asPostgres(Self.bin + "/initdb", ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "--no-sync",
                                                    "-E", "UTF8", "--locale=C"])
    }

    deinit {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start() throws {
        try Self.asPostgres(Self.bin + "/pg_ctl", [
            "-D", directory + "/data", "-l", directory + "/postgres.log", "-w", "-t", "30",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
        ])
    }

    /// A fast shutdown: open connections are closed at once.
    func stop() throws {
        guard FileManager.default.fileExists(atPath: directory + "/data/postmaster.pid") else { return }
        try Self.asPostgres(Self.bin + "/pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "-t", "30", "stop"])
    }

    /// Creates a database named like the test on the server at `url`; returns the URL of the new database.
    static func createDatabase(on url: String, prefix: String) throws -> String {
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try run(bin + "/psql", ["-X", "-q", "-d", url, "-c", "CREATE DATABASE \(name)"])
        guard let slash = url.lastIndex(of: "/") else { throw RelayTestError("bad URL \(url)") }
        return String(url[...slash]) + name
    }

    static func asPostgres(_ executable: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        } else {
            try run(executable, arguments)
        }
    }

    /// Runs a command to completion (posix_spawn and waitpid: Foundation's `Process` did not notice the exit of
    /// a `pg_ctl start`, whose server lives on).
    /// Runs one SQL statement with psql; returns its unaligned output.
    static func query(_ url: String, _ sql: String) throws -> String {
        try run(bin + "/psql", ["-X", "-q", "-At", "-d", url, "-c", sql]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("relay-pg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw RelayTestError("cannot start \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno == EINTR { continue }
            // Foundation's child reaper (for the relay processes) may collect it first: it has exited, its output
            // is complete, its status unknown (callers check the effect).
            if errno == ECHILD { return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
            throw RelayTestError("waitpid failed for \(executable): errno \(errno)")
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard exited, code == 0 else {
            throw RelayTestError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)):\n\(output)")
        }
        return output
    }
}
