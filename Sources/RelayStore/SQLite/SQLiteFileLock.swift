import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive POSIX record lock on `<database>.lock`, held while a store has the file open: a second relay
/// process on the same SQLite file would release the first one's leases at its start and send its deliveries
/// again, and order shipments on its own. The kernel drops the lock when the process ends, however it ends
/// (`kill -9` included). Record locks belong to the process, so opening the store twice in one process (tests)
/// is allowed.
final class SQLiteFileLock: Sendable {
    private let descriptor: Mutex<Int32?>

    /// Takes the lock, or throws `SQLiteFileInUse` at once when another process holds it.
    init(databasePath: String) throws {
        let path = databasePath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SQLiteStoreUnwritable(path: path, cause: "cannot open the lock file (errno \(errno))")
        }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        guard fcntl(descriptor, F_SETLK, &lock) == 0 else {
            let code = errno
            close(descriptor)
            if code == EAGAIN || code == EACCES { throw SQLiteFileInUse(path: databasePath) }
            throw SQLiteStoreUnwritable(path: path, cause: "cannot lock the lock file (errno \(code))")
        }
        self.descriptor = Mutex(descriptor)
    }

    /// Releases the lock (also released when the process ends); once.
    func release() {
        if let descriptor = descriptor.withLock({ $0.take() }) { close(descriptor) }
    }
}

/// Another process holds the SQLite file's lock.
public struct SQLiteFileInUse: Error, CustomStringConvertible {
    public let path: String
    public var description: String {
        "another relay process is using \(path) (it holds \(path).lock): one process per SQLite file; several "
            + "instances share a PostgreSQL store instead (docs/SCALING.md)"
    }
}
