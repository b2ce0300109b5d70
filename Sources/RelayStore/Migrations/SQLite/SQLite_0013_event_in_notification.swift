extension SQLiteMigrations {
    /// 13: the courier event that produced a notification is kept in the notification's row (PostgreSQL's
    /// migration 13): `events` keeps only the events that produced no notification, and every reader reads both
    /// (`EventSQL`).
    static let v0013 = Migration(version: 13, sql: """
        ALTER TABLE events ADD COLUMN position INTEGER;
        ALTER TABLE notifications ADD COLUMN event_status_code TEXT;
        ALTER TABLE notifications ADD COLUMN event_status_text TEXT;
        ALTER TABLE notifications ADD COLUMN event_role TEXT;
        ALTER TABLE notifications ADD COLUMN event_outcome TEXT;
        ALTER TABLE notifications ADD COLUMN event_time_sent INTEGER;
        ALTER TABLE notifications ADD COLUMN event_position INTEGER;
        """)
}
