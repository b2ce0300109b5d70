import PostgresNIO

/// Whether a store error says the data itself was refused (so writing it again fails again), as opposed to the store
/// being away or busy (so a later try may succeed).
///
/// PostgreSQL: SQLSTATE class 22 (data exception: NUL in text, invalid encoding, a value out of range) and class 54
/// (program limit exceeded: an index entry over about 2,700 bytes, too many columns). SQLite: `SQLITE_TOOBIG`.
/// A normalisation batch failing so is split until the callback that causes it is found (`NormalisationService`):
/// one callback must not hold up the others of its batch for good.
public enum RejectedData {
    public static func isRejectedData(_ error: any Error) -> Bool {
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            return state.hasPrefix("22") || state.hasPrefix("54")
        }
        if let error = error as? SQLiteError { return error.code == 18 }  // SQLITE_TOOBIG
        return false
    }
}
