import HTTPTypes
import Hummingbird
import RelayCore

/// The "Send test" button of the `/ops` endpoints page: one signed sample to the endpoint (not stored), and the
/// receiver's answer on a page of its own.
extension OpsController {
    static var endpointTestTemplate: String {
        """
        <h1>Test send to <code>{{endpoint}}</code></h1>
        <p>{{method}} <code>{{url}}</code> · {{type}} · webhook-id <code>{{webhookId}}</code> ·
        header <code>webhook-attempt-trigger: test</code> · not stored</p>
        {{#delivered}}<p class="ok">Delivered: {{status}} in {{durationMs}} ms.</p>{{/delivered}}
        {{^delivered}}<p class="bad">Failed ({{failureClass}}){{#status}}: {{status}}{{/status}} after {{durationMs}} ms.
        {{error}}</p>{{/delivered}}
        <h2>Answer (≤ 4 KB)</h2><pre>{{responseExcerpt}}</pre>
        <p><a href="/ops/endpoints">Back to endpoints</a></p>
        """
    }

    func addTestSendRoutes(to router: Router<Context>) {
        for path in ["/ops/endpoint-test/:client/:name", "/ops/endpoint-test/:client/extra/:name"] {
            router.post(RouterPath(path)) { request, context in
                // A state-changing form like the others: session, same origin and CSRF token.
                try await guardedForm(request) { _, fields in
                    let name = context.parameters.get("name") ?? ""
                    let id =
                        "\(context.parameters.get("client") ?? "")/"
                        + (path.contains("/extra/") ? "extra/\(name)" : name)
                    let (status, answer) = await TestSamples.run(
                        endpointId: id,
                        requestedType: fields["type"].flatMap {
                            $0.isEmpty ? nil : $0
                        }, configuration: configuration)
                    guard status == 200 else {
                        return page(
                            "Test send", "endpointTest",
                            [
                                "endpoint": id, "delivered": false,
                                "error": answer["detail"]?.text ?? "", "durationMs": 0,
                            ],
                            status: .init(code: status))
                    }
                    var object: [String: Any] = [:]
                    for key in [
                        "endpoint", "url", "method", "type", "webhookId", "failureClass", "responseExcerpt", "error",
                    ] {
                        object[key] = answer[key]?.text ?? ""
                    }
                    object["delivered"] = answer["delivered"]?.boolean == true
                    object["status"] = answer["status"]?.text ?? ""
                    object["durationMs"] = answer["durationMs"]?.text ?? ""
                    return page("Test send", "endpointTest", object)
                }
            }
        }
    }
}
