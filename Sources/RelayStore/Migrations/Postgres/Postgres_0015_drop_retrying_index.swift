extension PostgresMigrations {
    /// 15: `deliveries_retrying` (pending deliveries with an attempt behind them) has had no reader since the
    /// delivery book stopped keeping blocked chains of its own (the store is the one truth on what blocks a chain);
    /// every retry still paid for its entry.
    static let v0015 = Migration(version: 15, sql: """
        DROP INDEX IF EXISTS deliveries_retrying;
        """)
}
