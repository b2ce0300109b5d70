extension PostgresMigrations {
    /// 8: an attempt's primary key is its delivery and number, which it is read by (a trace, a dead letter's
    /// history: `WHERE delivery_seq = ? ORDER BY number`). The key on the generated `seq` and the separate index on
    /// `delivery_seq` were two B-tree entries per attempt where one serves both. A delivery's attempts are numbered
    /// by its own counter, incremented under its row lock by the completion that records the attempt, so the pair
    /// is unique; `seq` stays as a column (retention takes the oldest first).
    static let v0008 = Migration(version: 8, sql: """
        ALTER TABLE attempts DROP CONSTRAINT attempts_pkey;
        ALTER TABLE attempts ADD CONSTRAINT attempts_pkey PRIMARY KEY (delivery_seq, number);
        DROP INDEX attempts_delivery;
        """)
}
