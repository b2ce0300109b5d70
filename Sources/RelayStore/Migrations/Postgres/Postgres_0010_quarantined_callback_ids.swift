extension PostgresMigrations {
    /// 10: a callback's id is indexed only while the callback is in quarantine (rejected, or its status unmapped),
    /// the one time it is looked up by id (`CallbackInbox.quarantinedCallback`, whose condition is the index's).
    /// Ids are ULIDs the relay makes at receipt (48-bit time, 80 random bits), unique by construction; the unique
    /// index over every callback was a B-tree entry per callback, written on the ingest path, for that rare read.
    static let v0010 = Migration(version: 10, sql: """
        CREATE INDEX callbacks_quarantined_id ON callbacks(id) WHERE status = 'rejected' OR error = 'unmapped';
        ALTER TABLE callbacks DROP CONSTRAINT callbacks_id_key;
        """)
}
