extension PostgresMigrations {
    /// 13: the courier event that produced a notification is kept in the notification's row (`event_*`) instead of
    /// an `events` row: the notification already held its callback, AWB, type, direction and time, so the event row
    /// (with its key and its AWB index entry) repeated it. `events` keeps the events that produced no notification
    /// (history, unmapped, stale, duplicates, …). Every reader of events reads both (`EventSQL`). `position` is an
    /// event's place among its callback's events, so that both halves read back in the order they were parsed.
    static let v0013 = Migration(version: 13, sql: """
        ALTER TABLE events ADD COLUMN position BIGINT;
        ALTER TABLE notifications ADD COLUMN event_status_code TEXT, ADD COLUMN event_status_text TEXT,
            ADD COLUMN event_role TEXT, ADD COLUMN event_outcome TEXT, ADD COLUMN event_time_sent BIGINT,
            ADD COLUMN event_position BIGINT;
        """)
}
