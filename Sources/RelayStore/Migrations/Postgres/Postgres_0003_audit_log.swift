extension PostgresMigrations {
    /// 3: the audit log of admin actions.
    static let v0003 = Migration(version: 3, sql: """
        CREATE TABLE audit_log (
            seq BIGSERIAL PRIMARY KEY,
            at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL,
            via TEXT NOT NULL
        );
        """)
}
