import Dispatch
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// HTTP request metrics with the names and labels of Hummingbird's `MetricsMiddleware` (docs/METRICS.md:
/// `hb_requests`, `hb_request_errors`, `http_server_request_duration`, `http_server_active_requests`), recorded when
/// the handler returns its response.
///
/// Hummingbird's middleware records them after the body is written, by wrapping the body in a closure. A wrapped
/// body is no longer one buffer, so the response leaves as three writes (head, body, end), each a hop from the
/// request's task to the connection's event loop and its own flush, instead of one write of all three parts. On a
/// callback that is two extra thread wake-ups and a system call per request. Every body this relay answers with is
/// one buffer built before the handler returns, so the duration measured here ends a write later at most.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let cache = RequestMetricsCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let active = cache.active(request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            let metrics = cache.endpoint(route: context.endpointPath ?? "Unknown", method: request.method,
                                         status: response.status)
            metrics.requests.increment()
            metrics.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let metrics = cache.endpoint(route: context.endpointPath ?? "NotFound", method: request.method,
                                         status: status)
            metrics.requests.increment()
            metrics.errors.increment()
            throw error
        }
    }
}

/// The metric objects per method and per (route, method, status), made once.
private final class RequestMetricsCache: Sendable {
    struct EndpointID: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct EndpointMetrics: Sendable {
        let requests: Counter
        let duration: Timer
        let errors: Counter

        init(_ id: EndpointID) {
            let labels = [("http.route", id.route), ("http.request.method", id.method.description)]
            let status = id.status.code.description
            requests = Counter(label: "hb.requests", dimensions: labels + [("http.response.status_code", status)])
            duration = Timer(label: "http.server.request.duration",
                             dimensions: labels + [("http.response.status_code", status)],
                             preferredDisplayUnit: .seconds)
            errors = Counter(label: "hb.request.errors", dimensions: labels + [("error.type", status)])
        }
    }

    private let methods = Mutex<[HTTPRequest.Method: Meter]>([:])
    private let endpoints = Mutex<[EndpointID: EndpointMetrics]>([:])

    func active(_ method: HTTPRequest.Method) -> Meter {
        methods.withLock { methods in
            if let meter = methods[method] { return meter }
            let meter = Meter(label: "http.server.active_requests",
                              dimensions: [("http.request.method", method.description)])
            methods[method] = meter
            return meter
        }
    }

    func endpoint(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> EndpointMetrics {
        let id = EndpointID(route: route, method: method, status: status)
        return endpoints.withLock { endpoints in
            if let metrics = endpoints[id] { return metrics }
            let metrics = EndpointMetrics(id)
            endpoints[id] = metrics
            return metrics
        }
    }
}
