import RelayCore
import Testing

@Suite("Normaliser rules (docs/CONTRACT.md §4.4)")
struct NormaliserTests {
    static let client = Client(
        id: "acme", metadata: [(key: "Account Code", value: "ACME01")],
        endpoints: [
            Endpoint(id: "acme/notification", kind: .notification, url: "http://127.0.0.1:1/n"),
            Endpoint(id: "acme/extra/erp", kind: .extra, url: "http://127.0.0.1:1/e", types: [.delivered]),
        ])
    static let received = EventTime(epochSeconds: 1_710_000_000)

    /// Normalises payloads in sequence with shared state, as the store would.
    struct Harness {
        var context = InMemoryNormalisationContext()

        mutating func run(_ aggregator: Aggregator, _ json: String, contentType: String = "application/json")
            throws -> NormalisationResult
        {
            let parsed = try CallbackParser.parse(aggregator: aggregator, body: Array(json.utf8), contentType: contentType)
            let result = Normaliser().normalise(events: parsed.events, client: NormaliserTests.client,
                                                receivedAt: NormaliserTests.received, context: context)
            context.apply(result)
            return result
        }

        mutating func types(_ aggregator: Aggregator, _ json: String) throws -> [String] {
            try run(aggregator, json).notifications.map(\.type.name)
        }
    }

    static func clickpost(code: Int, time: String, awb: String = "AWB1", rvp: Bool = false, latest: (Int, String)? = nil,
                          extra: String = "") -> String {
        let latestJSON = latest.map { #","latest_status":{"clickpost_status_code":\#($0.0),"timestamp":"\#($0.1)","status":"s","location":"l"}"# } ?? ""
        return #"{"waybill":"\#(awb)","cp_id":4,"account_code":"DEL","status":"s","location":"l","timestamp":"\#(time)","clickpost_status_code":\#(code),"additional":{"is_rvp":\#(rvp),"order_id":"ORD-1"\#(latestJSON)\#(extra)}}"#
    }

    @Test("dedup: a repeated callback produces nothing the second time")
    func dedupRepeatedCallback() throws {
        var harness = Harness()
        let payload = Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z")
        #expect(try harness.types(.clickpost, payload) == ["OUT_FOR_DELIVERY"])
        let again = try harness.run(.clickpost, payload)
        #expect(again.notifications.isEmpty)
        #expect(again.events.map(\.outcome) == [.duplicate])
    }

    @Test("dedup: the same fact in two differently shaped callbacks is relayed once")
    func dedupSameFact() throws {
        var harness = Harness()
        let first = Self.clickpost(code: 8, time: "2024-03-08T06:12:00Z")
        let second = Self.clickpost(code: 8, time: "2024-03-08T06:12:00Z", extra: #","notification_event_id":5"#)
            .replacingOccurrences(of: #""status":"s""#, with: #""status":"Delivered""#)
        #expect(try harness.types(.clickpost, first) == ["DELIVERED"])
        #expect(try harness.types(.clickpost, second) == [])
    }

    @Test("stale suppression: an event older than the newest relayed one is stored, not relayed")
    func staleSuppression() throws {
        var harness = Harness()
        #expect(try harness.types(.clickpost, Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z")) == ["OUT_FOR_DELIVERY"])
        let late = try harness.run(.clickpost, Self.clickpost(code: 5, time: "2024-03-06T04:00:00Z"))
        #expect(late.notifications.isEmpty)
        #expect(late.events.map(\.outcome) == [.stale])
        // A different shipment is not affected.
        #expect(try harness.types(.clickpost, Self.clickpost(code: 5, time: "2024-03-06T04:00:00Z", awb: "AWB2")) == ["IN_TRANSIT"])
    }

    @Test("terminal rule: after DELIVERED only terminal, DAMAGED or RTO_ACKNOWLEDGED is relayed")
    func terminalRule() throws {
        var harness = Harness()
        #expect(try harness.types(.clickpost, Self.clickpost(code: 8, time: "2024-03-08T06:00:00Z")) == ["DELIVERED"])
        let after = try harness.run(.clickpost, Self.clickpost(code: 6, time: "2024-03-08T07:00:00Z"))
        #expect(after.events.map(\.outcome) == [.afterTerminal])
        #expect(try harness.types(.clickpost, Self.clickpost(code: 17, time: "2024-03-08T08:00:00Z")) == ["DAMAGED"])
        #expect(try harness.types(.clickpost, Self.clickpost(code: 16, time: "2024-03-08T09:00:00Z")) == ["LOST"])
    }

    @Test("Clickpost latest_status drives the notification; the outer scan is history")
    func clickpostLatestStatus() throws {
        var harness = Harness()
        let payload = Self.clickpost(code: 5, time: "2024-03-06T04:00:00Z", latest: (6, "2024-03-07T04:00:00Z"))
        let result = try harness.run(.clickpost, payload)
        #expect(result.notifications.map(\.type) == [.outForDelivery])
        #expect(result.events.map(\.outcome) == [.history, .relayed])
        #expect(result.notifications.first?.payload["logisticAggregatorInfo"]?["logisticAggregatorMetaData"]?["eventTime"]
                == "2024-03-07T04:00:00Z")
    }

    @Test("Shipway batch: several orders in one callback each get their notification")
    func shipwayBatch() throws {
        var harness = Harness()
        let payload = #"""
        {"hash":"0","status_feed":[
          {"order_id":"A-1","awbno":"111","current_status":"DEL","status_time":"2024-03-08 11:42:00","scans":[]},
          {"order_id":"A-2","awbno":"222","current_status":"OOD","status_time":"2024-03-08 09:00:00","scans":[]},
          {"order_id":"A-3","awbno":"333","current_status":"NFI","status_time":"2024-03-08 09:00:00","scans":[]}]}
        """#
        let result = try harness.run(.shipway, payload)
        #expect(result.notifications.map(\.type) == [.delivered, .outForDelivery])
        #expect(result.notifications.map { $0.payload["forwardOrderCode"] } == ["A-1", "A-2"])
        #expect(result.events.map(\.outcome) == [.relayed, .relayed, .noNotification])
        // DELIVERED also goes to the ERP extra endpoint (types filter), OUT_FOR_DELIVERY only to the notification URL.
        #expect(result.notifications.map(\.endpointIds) == [["acme/notification", "acme/extra/erp"], ["acme/notification"]])
    }

    @Test("Shipway form-encoded body is read like JSON")
    func shipwayForm() throws {
        var harness = Harness()
        let feed = #"[{"order_id":"F-1","awbno":"999","current_status":"PKP","status_time":"2024-03-04 15:32:00"}]"#
        let form = "hash=abc&status_feed=" + feed.addingPercentEncodingForForm()
        let result = try harness.run(.shipway, form, contentType: "application/x-www-form-urlencoded")
        #expect(result.notifications.map(\.type) == [.pickedUp])
    }

    @Test("RTO is a return: returnOrderInfo carries the forward order and the RTO AWB")
    func rtoAsReturn() throws {
        var harness = Harness()
        let result = try harness.run(.clickpost, Self.clickpost(code: 21, time: "2024-03-09T10:00:00Z",
                                                                  extra: "").replacingOccurrences(of: #""account_code":"DEL","#, with: #""account_code":"DEL","rto_awb":"RTO-9","#))
        let payload = try #require(result.notifications.first?.payload)
        #expect(payload["notificationType"] == "RTO")
        #expect(payload["forwardAwb"] == "AWB1")
        #expect(payload["returnOrderInfo"]?["returnOrderId"] == "ORD-1")
        #expect(payload["returnOrderInfo"]?["returnAwb"] == "RTO-9")
        #expect(payload["returnOrderInfo"]?["transporter"] == "DEL")
        #expect(payload["returnOrderInfo"]?["returnOrderTime"] == .int(EventTime(epochSeconds: 1_709_978_400).epochSeconds))
        // Later RTO-family statuses are progress, and LOST after RTO stays a return.
        let progress = try harness.run(.clickpost, Self.clickpost(code: 13, time: "2024-03-10T10:00:00Z"))
        #expect(progress.events.map(\.outcome) == [.rtoProgress])
        let lost = try harness.run(.clickpost, Self.clickpost(code: 16, time: "2024-03-11T10:00:00Z"))
        #expect(lost.notifications.first?.direction == .rto)
        #expect(lost.notifications.first?.payload["returnOrderInfo"]?.isNull == false)
    }

    @Test("customer return with forward_awb: forward order and AWB from the aggregator, return ids in returnOrderInfo")
    func customerReturnWithForwardAwb() throws {
        var harness = Harness()
        let payload = Self.clickpost(code: 4, time: "2024-03-13T08:45:00Z", awb: "REV-1", rvp: true,
                                     extra: #","forward_awb":"FWD-1","forward_reference_number":"ORD-FWD""#)
        let result = try harness.run(.clickpost, payload)
        let notification = try #require(result.notifications.first?.payload)
        #expect(notification["notificationType"] == "RETURN_PICKED_UP")
        #expect(notification["forwardOrderCode"] == "ORD-FWD")
        #expect(notification["forwardAwb"] == "FWD-1")
        #expect(notification["returnOrderInfo"]?["returnOrderId"] == "ORD-1")
        #expect(notification["returnOrderInfo"]?["returnAwb"] == "REV-1")
    }

    @Test("unknown status: stored, counted as unmapped, no notification")
    func unknownStatus() throws {
        var harness = Harness()
        let result = try harness.run(.clickpost, Self.clickpost(code: 777, time: "2024-03-13T08:45:00Z"))
        #expect(result.notifications.isEmpty)
        #expect(result.events.map(\.outcome) == [.unmapped])
    }

    @Test("Shiprocket ids as numeric strings map like numbers")
    func shiprocketStringIds() throws {
        var harness = Harness()
        let payload = #"{"awb":19041424751540,"courier_name":"X","current_status_id":"7","shipment_status_id":"7","current_timestamp":"23 05 2023 11:43:52","order_id":"O1","is_return":"0"}"#
        #expect(try harness.types(.shiprocket, payload) == ["DELIVERED"])
    }

    @Test("Shiprocket dashboard test ping is accepted with nothing to relay")
    func shiprocketProbe() throws {
        for body in ["", "{}", #"{"test":true}"#] {
            let parsed = try CallbackParser.parse(aggregator: .shiprocket, body: Array(body.utf8), contentType: nil)
            #expect(parsed.isProbe)
            #expect(parsed.events.isEmpty)
        }
    }

    @Test("eShipz: array and {data: [...]} wrappers, cancelled wins over the tag")
    func eshipzShapes() throws {
        var harness = Harness()
        let array = #"[{"tracking_number":"E1","tracking_status":"InTransit","tracking_checkpoint_datetime":"2024-03-05 10:00:00"},{"tracking_number":"E2","tracking_status":"OutForDelivery","tracking_checkpoint_datetime":"2024-03-05 10:00:00"}]"#
        #expect(try harness.types(.eshipz, array) == ["IN_TRANSIT", "OUT_FOR_DELIVERY"])
        let wrapped = #"{"data":[{"tracking_number":"E3","tag":"InTransit","shipment_status":"cancelled","checkpoints":[{"date":"Fri, 08 Mar 2024 06:12:00 GMT"}]}]}"#
        #expect(try harness.types(.eshipz, wrapped) == ["CANCELLED"])
    }

    @Test("unrecognised bodies are rejected with a reason", arguments: [
        (Aggregator.clickpost, "[1,2]"), (.clickpost, #"{"waybill":"1"}"#), (.shiprocket, #"{"awb":"1","a":1,"b":2}"#),
        (.shipway, #"{"foo":"bar"}"#), (.eshipz, #"{"order_id":"1"}"#), (.clickpost, "not json"),
    ])
    func rejects(_ example: (Aggregator, String)) {
        #expect(throws: CallbackParseError.self) {
            try CallbackParser.parse(aggregator: example.0, body: Array(example.1.utf8), contentType: "application/json")
        }
    }

    @Test("notification ids are stable values chosen once")
    func ids() {
        let id = Identifier.make(prefix: "ntf", epochMilliseconds: 1_710_000_000_000)
        #expect(id.hasPrefix("ntf_"))
        #expect(id.count == 30)
        #expect(Identifier.make(prefix: "ntf", epochMilliseconds: 1_710_000_000_000) != id)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[rest.startIndex..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    func addingPercentEncodingForForm() -> String {
        var output = ""
        for byte in utf8 {
            let char = Character(Unicode.Scalar(byte))
            if char.isLetter || char.isNumber || "-._~".contains(char) {
                output.append(char)
            } else {
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded()
            }
        }
        return output
    }

    func leftPadded() -> String { count == 1 ? "0" + self : self }
}
