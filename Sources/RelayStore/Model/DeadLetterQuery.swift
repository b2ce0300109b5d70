import RelayCore

/// The dead-letter list query for a filter, newest first, with its `?` parameters in order.
struct DeadLetterQuery {
    typealias Parameter = SQLValue

    let sql: String
    let binds: [SQLValue]

    init(_ filter: DeadLetterFilter) {
        var conditions = ["d.state = 'dead'"]
        var parameters: [Parameter] = []
        func add(_ condition: String, _ value: Parameter?) {
            guard let value else { return }
            conditions.append(condition)
            parameters.append(value)
        }
        add("d.client = ?", filter.client.map(Parameter.text))
        add("d.endpoint = ?", filter.endpoint.map(Parameter.text))
        add("n.type = ?", filter.type.map(Parameter.text))
        add("d.failure_class = ?", filter.failure.map(Parameter.text))
        if let awb = filter.awb {
            conditions.append(StoreRows.notificationOfAWB("n"))
            parameters += [.text(awb), .text(awb)]
        }
        add("d.dead_at >= ?", filter.since.map { .integer($0.epochMilliseconds) })
        add("d.dead_at < ?", filter.until.map { .integer($0.epochMilliseconds) })
        if let before = filter.before {
            conditions.append("(d.dead_at, d.seq) < (?, ?)")
            parameters += [.integer(before.deadAt.epochMilliseconds), .integer(before.seq)]
        }
        parameters.append(.integer(Int64(filter.limit)))  // clamped by `DeadLetterFilter`
        sql = """
            SELECT \(StoreRows.deadLetterColumns) FROM deliveries d JOIN notifications n ON n.seq = d.notification_seq
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY d.dead_at DESC, d.seq DESC LIMIT ?
            """
        binds = parameters
    }
}
