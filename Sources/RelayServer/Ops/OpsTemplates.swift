/// The `/ops` page's Mustache templates: plain server-rendered HTML, no JavaScript build step.
enum OpsTemplates {
    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        {{#refresh}}<meta http-equiv="refresh" content="1">{{/refresh}}
        <title>{{title}} · relay ops</title>
        <style>
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
        header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
        header a{color:#cfd8ea;text-decoration:none}header a:hover{color:#fff}header strong{color:#fff}
        main{padding:20px 24px;max-width:1200px}h1{font-size:20px;margin:4px 0 16px}
        table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001}
        th,td{padding:7px 10px;border-bottom:1px solid #e6e8ec;text-align:left;vertical-align:top}
        th{background:#eef1f5;font-weight:600;font-size:13px}td code,pre{font:13px ui-monospace,monospace}
        pre{background:#fff;padding:12px;overflow:auto;box-shadow:0 1px 2px #0001}
        form.filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:14px;align-items:end}
        label{display:flex;flex-direction:column;font-size:12px;color:#555}
        input,select{font:inherit;padding:5px 7px;border:1px solid #c6ccd6;border-radius:4px}
        button{font:inherit;padding:6px 12px;border:0;border-radius:4px;background:#2f6fdb;color:#fff;cursor:pointer}
        button.danger{background:#c53b3b}.muted{color:#6b7280}.flash{background:#e7f6ec;padding:8px 12px;margin-bottom:12px}
        .bad{color:#c53b3b;font-weight:600}.ok{color:#1f8a4c;font-weight:600}
        h2{font-size:16px;margin:20px 0 8px}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px}
        figure{margin:0;background:#fff;padding:8px;box-shadow:0 1px 2px #0001}figcaption{font-size:12px;color:#6b7280}
        svg.chart{width:100%;height:auto}
        </style></head><body>
        <header><strong>shipment relay · ops</strong>
        {{#signedIn}}<a href="/ops/overview">Overview</a><a href="/ops">Dead letters</a><a href="/ops/endpoints">Endpoints</a><a href="/ops/trace">Shipment trace</a>
        <a href="/ops/quarantine">Quarantine</a><a href="/ops/audit">Audit log</a>
        <form method="post" action="/ops/signout" style="margin-left:auto"><input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">Sign out</button></form>{{/signedIn}}</header>
        <main>{{#flash}}<div class="flash">{{flash}}</div>{{/flash}}{{{body}}}</main></body></html>
        """

    static let signIn = """
        <h1>Sign in</h1>
        {{#error}}<p class="bad">{{error}}</p>{{/error}}
        <form method="post" action="/ops/signin"><label>Admin token <input type="password" name="token" autofocus></label>
        <p><button type="submit">Sign in</button></p></form>
        """

    static let problem = """
        <h1>{{heading}}</h1>
        <p class="bad">{{error}}</p>
        <p><a href="/ops">Back to the dead letters</a></p>
        """

    static let deadLetters = """
        <h1>Dead letters</h1>
        {{#held}}<p class="muted">{{awaitingOrder}} deliveries are held until their AWB is registered with an
        order code (<a href="/ops/endpoints">per endpoint</a>); after the hold they appear here as
        <code>unroutable</code>.</p>{{/held}}
        <form class="filters" method="get" action="/ops">
        <label>Client<input name="client" value="{{filter.client}}"></label>
        <label>Endpoint<input name="endpoint" value="{{filter.endpoint}}"></label>
        <label>Type<input name="type" value="{{filter.type}}" placeholder="DELIVERED"></label>
        <label>Failure<input name="failure" value="{{filter.failure}}" placeholder="http_5xx"></label>
        <label>AWB<input name="awb" value="{{filter.awb}}"></label>
        <label>Since<input name="since" value="{{filter.since}}" placeholder="2026-11-25T00:00:00Z"></label>
        <button type="submit">Filter</button>
        <button type="submit" formaction="/ops/replay">Bulk replay…</button>
        </form>
        {{#error}}<p class="bad">{{error}}</p>{{/error}}
        <table><tr><th>Id</th><th>Dead at</th><th>Client</th><th>Endpoint</th><th>Type</th><th>AWB</th><th>Failure</th><th>Attempts</th></tr>
        {{#letters}}<tr><td><a href="/ops/dead-letters/{{id}}"><code>{{id}}</code></a></td><td>{{deadAt}}</td><td>{{client}}</td>
        <td>{{endpoint}}</td><td>{{type}}</td><td>{{awb}}</td><td class="bad">{{failure}}</td><td>{{attempts}}</td></tr>{{/letters}}
        {{^letters}}<tr><td colspan="8" class="muted">No dead letters match.</td></tr>{{/letters}}
        </table>
        {{#next}}<p><a href="{{next}}">Older →</a></p>{{/next}}
        """

    static let deadLetter = """
        <h1>Dead letter <code>{{id}}</code></h1>
        <p>{{type}} for AWB <a href="/ops/trace?awb={{awbQuery}}">{{awb}}</a> to <code>{{endpoint}}</code> ·
        notification <code>{{notificationId}}</code> · dead at {{deadAt}} ({{failure}})</p>
        <form method="post" action="/ops/dead-letters/{{id}}/replay" style="display:inline"><input type="hidden" name="csrf" value="{{csrf}}"><button>Replay now</button></form>
        <form method="post" action="/ops/dead-letters/{{id}}/discard" style="display:inline"><input type="hidden" name="csrf" value="{{csrf}}"><button class="danger">Discard</button></form>
        <h2>Attempts</h2>
        <table><tr><th>#</th><th>Started</th><th>ms</th><th>Status</th><th>Failure</th><th>Response (≤ 4 KB)</th></tr>
        {{#attempts}}<tr><td>{{number}}</td><td>{{startedAt}}</td><td>{{durationMs}}</td><td>{{status}}</td>
        <td class="bad">{{failure}}</td><td><code>{{response}}</code></td></tr>{{/attempts}}</table>
        <h2>Payload</h2><pre>{{payload}}</pre>
        """

    static let bulkReplay = """
        <h1>Bulk replay</h1>
        <p><strong>{{count}}</strong> dead letters match {{description}}.</p>
        {{#capped}}<p class="bad">That is the most one bulk replay takes: more may match. This replay takes the newest
        {{count}}; start another afterwards for the rest.</p>{{/capped}}
        {{#count}}<form method="post" action="/ops/replay"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
        <label>Rate (letters per second)<input name="ratePerSecond" value="50"></label>
        <p><button type="submit">Replay {{count}} letters</button> <a href="/ops">Cancel</a></p></form>{{/count}}
        <table><tr><th>Id</th><th>Type</th><th>AWB</th><th>Failure</th></tr>
        {{#sample}}<tr><td><code>{{id}}</code></td><td>{{type}}</td><td>{{awb}}</td><td>{{failure}}</td></tr>{{/sample}}</table>
        """

    static let replayJob = """
        <h1>Replay <code>{{id}}</code></h1>
        <p>{{state}}: {{done}} replayed, {{failed}} skipped, of {{total}} (at most {{rate}}/s).</p>
        <p><a href="/ops">Back to dead letters</a></p>
        """

    static let endpoints = """
        <h1>Endpoints</h1>
        <table><tr><th>Endpoint</th><th>URL</th><th>Status</th><th>Last success</th><th>Failure rate (1 h)</th>
        <th>Pending</th><th title="held until the AWB is registered with an order code">Awaiting order</th><th>Dead</th><th></th></tr>
        {{#endpoints}}<tr><td><code>{{id}}</code></td><td class="muted">{{url}}</td>
        <td class="{{statusClass}}">{{status}}</td><td>{{lastSuccess}}</td><td>{{failureRate}}</td><td>{{pending}}</td>
        <td>{{awaitingOrder}}</td>
        <td><a href="/ops?endpoint={{idQuery}}">{{dead}}</a></td>
        <td><form method="post" action="/ops/endpoints/{{id}}/{{toggle}}"><input type="hidden" name="csrf" value="{{csrf}}"><button>{{toggle}}</button></form>
        <form method="post" action="/ops/endpoint-test/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}"><button>Send test</button></form></td></tr>{{/endpoints}}
        </table>
        """

    static let trace = """
        <h1>Shipment trace</h1>
        <form class="filters" method="get" action="/ops/trace"><label>AWB<input name="awb" value="{{awb}}"></label>
        <button type="submit">Trace</button></form>
        {{#awb}}<table><tr><th>Time</th><th>What</th><th>Id</th><th>Detail</th></tr>
        {{#entries}}<tr><td>{{at}}</td><td>{{kind}}</td><td><code>{{id}}</code></td><td>{{detail}}</td></tr>{{/entries}}
        {{^entries}}<tr><td colspan="4" class="muted">Nothing stored for this AWB.</td></tr>{{/entries}}</table>{{/awb}}
        """

    static let audit = """
        <h1>Audit log</h1><p class="muted">Every replay, bulk replay, discard, endpoint change and renormalisation, newest first.</p>
        <table><tr><th>Time</th><th>Who</th><th>Action</th><th>Target</th><th>Detail</th><th>Via</th></tr>
        {{#entries}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{action}}</td><td><code>{{target}}</code></td><td>{{detail}}</td>
        <td>{{via}}</td></tr>{{/entries}}
        {{^entries}}<tr><td colspan="6" class="muted">Nothing recorded yet.</td></tr>{{/entries}}</table>
        {{#next}}<p><a href="{{next}}">Older →</a></p>{{/next}}
        """

    static let quarantine = """
        <h1>Quarantine</h1><p class="muted">Callbacks answered 400, or stored with a status the mapping does not know:
        their raw bytes, kept for inspection. Newest first.</p>
        <form class="filters" method="get" action="/ops/quarantine">
        <label>Client<input name="client" value="{{client}}"></label><button type="submit">Filter</button></form>
        <table><tr><th>Id</th><th>Received</th><th>Client</th><th>Aggregator</th><th>Error</th><th>Body</th></tr>
        {{#items}}<tr><td><code>{{id}}</code></td><td>{{receivedAt}}</td><td>{{client}}</td><td>{{aggregator}}</td>
        <td class="bad">{{error}}: {{detail}}</td><td><code>{{body}}</code></td></tr>{{/items}}
        {{^items}}<tr><td colspan="6" class="muted">Nothing in quarantine.</td></tr>{{/items}}</table>
        {{#next}}<p><a href="{{next}}">Older →</a></p>{{/next}}
        """
}
