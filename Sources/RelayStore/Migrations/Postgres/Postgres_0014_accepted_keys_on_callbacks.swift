extension PostgresMigrations {
    /// 14: a callback's dedup key is unique among accepted callbacks by an index on `callbacks` itself instead of a
    /// row in `callback_keys`: one heap insert fewer per callback, and the key goes with its callback (retention
    /// deleted both anyway). Ingest probes the index and inserts without `ON CONFLICT` (`PostgresIngestBatcher`):
    /// the ingest statement's execution −18 % (docs/BENCHMARKS.md, "Thirteenth pass"). Every accepted callback had
    /// its own key row, so the index finds no two accepted callbacks with one key. Older instances fail their
    /// ingest once this has run (docs/SCALING.md, "Upgrading a fleet").
    static let v0014 = Migration(version: 14, sql: """
        CREATE UNIQUE INDEX callbacks_accepted_key ON callbacks(dedup_key) WHERE status = 'accepted';
        DROP TABLE callback_keys;
        """)
}
