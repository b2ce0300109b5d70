import RelayCore

extension InboundCallback {
    /// The headers as stored in `callbacks.headers`: a JSON object of name → value.
    static func headersJSON(_ headers: [(name: String, value: String)]) -> String {
        JSONValue.object(JSONObject(headers.map { (key: $0.name, value: JSONValue.string($0.value)) })).serialized()
    }
}
