public import Foundation

/// Child processes of the tests (the relay, its CLI, Python scripts), waited for on a thread of their own. Swift's
/// cooperative pool has one thread per core, two on a CI machine, and the tests running at once share it with their
/// HTTP receivers: a test blocked in `waitUntilExit` there stalled the receivers of others until the relay's attempts
/// to them timed out.
public enum ChildProcess {
    /// Runs `executable` to its end; returns its exit status and its standard output (and standard error, if
    /// `withStandardError`).
    public static func run(_ executable: String, _ arguments: [String], withStandardError: Bool = false) async throws
        -> (status: Int32, output: String)
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    if withStandardError { process.standardError = pipe }
                    try process.run()
                    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    process.waitUntilExit()
                    return (process.terminationStatus, output)
                })
            }
        }
    }

    /// Waits for `process` to exit; returns its exit status.
    public static func exitStatus(of process: Process) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}
