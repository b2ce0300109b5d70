extension PostgresMigrations {
    /// 6: the attempts' start time and the events' callback as block-range (BRIN) indexes. Both columns grow with
    /// the insertion order and are only read by range (retention, the endpoints' recent attempts); a B-tree entry
    /// per attempt and per event was work on every delivery for those rare reads.
    static let v0006 = Migration(version: 6, sql: """
        DROP INDEX attempts_started;
        CREATE INDEX attempts_started ON attempts USING brin (started_at);
        DROP INDEX events_callback;
        CREATE INDEX events_callback ON events USING brin (callback_seq);
        """)
}
