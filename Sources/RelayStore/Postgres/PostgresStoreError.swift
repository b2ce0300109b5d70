/// The PostgreSQL store could not do what was asked (the database is unreachable or too slow).
public enum PostgresStoreError: Error, CustomStringConvertible {
    case unavailable(String)
    case invalidURL(String)

    public var description: String {
        switch self {
        case .unavailable(let message): message
        case .invalidURL(let message): "storage.postgres.url: \(message)"
        }
    }
}
