extension PostgresMigrations {
    /// 7: a notification's AWB is indexed only where it differs from its shipment (a return leg's own AWB). The
    /// trace reads `n.shipment = ? OR (n.awb = ? AND n.awb <> n.shipment)` (`StoreRows.notificationOfAWB`): the same
    /// rows as `n.awb = ? OR n.shipment = ?`; a forward notification, whose AWB is its shipment, no longer writes a
    /// second entry of the same value on every insert.
    static let v0007 = Migration(version: 7, sql: """
        DROP INDEX notifications_awb;
        CREATE INDEX notifications_awb ON notifications(awb) WHERE awb <> shipment;
        """)
}
