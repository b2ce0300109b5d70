import Hummingbird

extension Request {
    /// The query's fields by name, empty values left out (an empty form field means "no filter"); of a repeated
    /// name, the last value.
    var queryFields: [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in uri.queryParameters where !value.isEmpty { fields[String(name)] = String(value) }
        return fields
    }
}
