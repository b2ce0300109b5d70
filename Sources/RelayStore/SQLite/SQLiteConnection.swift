import CSQLite

/// A failed SQLite call: the result code and SQLite's message.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
}

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not thread-safe: each connection is used by one thread at a time (the writer thread,
/// or the reader queue), which is why it is `@unchecked Sendable`.
public final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    private var statementsByAddress: [UInt: (sql: String, statement: SQLiteStatement)] = [:]

    /// Whether a transaction is open (SQLite rolls one back by itself after some errors: a full disk, I/O).
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &db, flags, nil)
        guard result == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: result, message: "\(message) (\(path))")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit {
        for statement in statements.values { statement.finalize() }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &error)
        if result != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw SQLiteError(code: result, message: message)
        }
    }

    /// A prepared statement for `sql`, cached for the life of the connection and reset before reuse.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        // Most SQL is a string literal: one stable buffer, found by its address without hashing the text. A hit is
        // confirmed with `==`, which returns at once for the same buffer.
        let address = sql.utf8.count > 15
            ? sql.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } ?? 0 : 0
        if address != 0, let entry = statementsByAddress[address], entry.sql == sql {
            entry.statement.reset()
            return entry.statement
        }
        if let statement = statements[sql] {
            statement.reset()
            remember(statement, sql: sql, address: address)
            return statement
        }
        var pointer: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard result == SQLITE_OK, let pointer else { throw SQLiteError(code: result, message: lastMessage) }
        let statement = SQLiteStatement(pointer: pointer, connection: self)
        statements[sql] = statement
        remember(statement, sql: sql, address: address)
        return statement
    }

    private func remember(_ statement: SQLiteStatement, sql: String, address: UInt) {
        guard address != 0 else { return }
        // SQL built at run time lives at ever new addresses: start over when full (the literals come back at their
        // next use; the statements themselves stay cached by text).
        if statementsByAddress.count >= 512 { statementsByAddress.removeAll(keepingCapacity: true) }
        statementsByAddress[address] = (sql, statement)
    }

    /// Runs `sql` with `bindings` and returns the number of rows changed.
    @discardableResult
    public func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> Int {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        while try statement.step() {}
        return changes
    }

    /// Runs a query and maps each row.
    public func query<T>(_ sql: String, _ bindings: [SQLiteValue] = [], _ map: (SQLiteStatement) throws -> T) throws -> [T] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [T] = []
        while try statement.step() { rows.append(try map(statement)) }
        return rows
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last insert.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// False while a transaction is open on this connection.
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement owned by a connection.
public final class SQLiteStatement {
    let pointer: OpaquePointer
    unowned let connection: SQLiteConnection

    init(pointer: OpaquePointer, connection: SQLiteConnection) {
        self.pointer = pointer
        self.connection = connection
    }

    func finalize() { sqlite3_finalize(pointer) }

    func reset() {
        sqlite3_reset(pointer)
        sqlite3_clear_bindings(pointer)
    }

    /// Binds parameters 1…n.
    public func bind(_ values: [SQLiteValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .null: result = sqlite3_bind_null(pointer, index)
            case .integer(let number): result = sqlite3_bind_int64(pointer, index, number)
            case .double(let number): result = sqlite3_bind_double(pointer, index, number)
            case .text(let text): result = sqlite3_bind_text(pointer, index, text, -1, sqliteTransient)
            case .bool(let flag): result = sqlite3_bind_int64(pointer, index, flag ? 1 : 0)
            // Arrays are read back with `json_each(?)` (`SQLDialect.anyOf`).
            case .integers(let numbers):
                result = sqlite3_bind_text(pointer, index, "[" + numbers.map(String.init).joined(separator: ",") + "]",
                                           -1, sqliteTransient)
            case .texts(let texts):
                result = sqlite3_bind_text(pointer, index, Self.jsonArray(texts), -1, sqliteTransient)
            case .bools(let flags):
                result = sqlite3_bind_text(pointer, index, "[" + flags.map { $0 ? "1" : "0" }.joined(separator: ",") + "]",
                                           -1, sqliteTransient)
            case .blobs:
                throw SQLiteError(code: SQLITE_MISUSE, message: "arrays of byte strings are bound on PostgreSQL only")
            case .blob(let bytes):
                result = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob(pointer, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                      Int32(buffer.count), sqliteTransient)
                }
            }
            guard result == SQLITE_OK else { throw SQLiteError(code: result, message: connection.lastMessage) }
        }
    }

    /// `["a","b"]`: strings as a JSON array, for `json_each`.
    static func jsonArray(_ strings: [String]) -> String {
        var json = "["
        for (offset, string) in strings.enumerated() {
            if offset > 0 { json += "," }
            json += "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }

    /// Advances; true while a row is available.
    public func step() throws -> Bool {
        let result = sqlite3_step(pointer)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.lastMessage
            sqlite3_reset(pointer)
            throw SQLiteError(code: result, message: message)
        }
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(pointer, column) }

    public func optionalInt(_ column: Int32) -> Int64? {
        sqlite3_column_type(pointer, column) == SQLITE_NULL ? nil : sqlite3_column_int64(pointer, column)
    }

    public func double(_ column: Int32) -> Double { sqlite3_column_double(pointer, column) }

    public func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(pointer, column) else { return nil }
        return String(cString: pointer)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(pointer, column))
        guard count > 0, let base = sqlite3_column_blob(pointer, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}
