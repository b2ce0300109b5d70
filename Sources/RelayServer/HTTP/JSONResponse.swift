import Hummingbird
import NIOCore
import RelayCore

/// JSON responses with the relay's error shape `{"error": …, "detail": …}`.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let bytes = body.serializedBytes()
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: HTTPResponse.Status, _ error: String, _ detail: String,
                      headers: HTTPFields = [:]) -> Response {
        make(status, ["error": .string(error), "detail": .string(detail)], headers: headers)
    }
}
