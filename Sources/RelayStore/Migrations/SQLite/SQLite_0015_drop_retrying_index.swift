extension SQLiteMigrations {
    /// 15: `deliveries_retrying` (pending deliveries with an attempt behind them) has had no reader since the
    /// delivery book stopped keeping blocked chains of its own (the store's chain rule answers that, migration 14);
    /// every retry still paid for its entry.
    static let v0015 = Migration(version: 15, sql: """
        DROP INDEX IF EXISTS deliveries_retrying;
        """)
}
