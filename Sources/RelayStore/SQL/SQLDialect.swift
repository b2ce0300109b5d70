/// What SQLite and PostgreSQL spell differently in the statements written once. Everything else is the same text:
/// `?` placeholders, `ON CONFLICT`, `RETURNING`, `CAST(? AS BIGINT)`, `excluded.` in upserts.
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// A true boolean column or expression: `x = 1` on SQLite (so its partial indexes `WHERE x = 1` apply), `x` on
    /// PostgreSQL.
    func isTrue(_ expression: String) -> String {
        switch self {
        case .sqlite: "\(expression) = 1"
        case .postgres: expression
        }
    }

    /// `column` is one of the values of one array placeholder (bind `.integers` or `.texts`).
    func anyOf(_ column: String) -> String {
        switch self {
        case .sqlite: "\(column) IN (SELECT value FROM json_each(?))"
        case .postgres: "\(column) = ANY(?)"
        }
    }

    /// Locks the selected rows of `table` until commit (PostgreSQL; SQLite's single writer has them already).
    func forUpdate(of table: String) -> String {
        switch self {
        case .sqlite: ""
        case .postgres: "FOR UPDATE OF \(table)"
        }
    }

    /// The statement that forgets the dedup keys of deleted callbacks (retention), if any. SQLite keys are hashes
    /// with the seq of their callback, in a table of their own; PostgreSQL's are the callbacks' `dedup_key` (unique
    /// among accepted callbacks, migration 14) and go with them.
    /// - Parameter oldestCallback: the smallest seq of a callback left.
    func forgetCallbackKeys(below oldestCallback: Int64, limit: Int64) -> (String, [SQLValue])? {
        switch self {
        case .sqlite:
            ("DELETE FROM callback_keys WHERE key IN (SELECT key FROM callback_keys WHERE seq < ? LIMIT ?)",
             [.integer(oldestCallback), .integer(limit)])
        case .postgres:
            nil
        }
    }
}
