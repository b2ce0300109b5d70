import RelayCore
import Testing

/// Issue #13's mapping decisions and issue #12's timestamp rule, each through the parser and the normaliser with
/// shared state (as the store keeps it). docs/MAPPING.md describes each rule.
@Suite("Mapping decisions (issue #13) and untrusted times (issue #12)")
struct MappingDecisionTests {
    typealias Harness = NormaliserTests.Harness

    static func clickpost(code: Int, time: String, awb: String = "AWB1", rvp: Bool = false, extra: String = "",
                          courier: String = #""account_code":"DEL","#) -> String {
        #"{"waybill":"\#(awb)","cp_id":4,\#(courier)"status":"s","location":"l","timestamp":"\#(time)","clickpost_status_code":\#(code),"additional":{"is_rvp":\#(rvp),"order_id":"ORD-1"\#(extra)}}"#
    }

    static func shiprocket(current: Int, time: String, awb: String? = "SR1", isReturn: Bool = false,
                           order: String = "O-1") -> String {
        let awbJSON = awb.map { #""awb":"\#($0)","# } ?? ""
        return #"{\#(awbJSON)"courier_name":"X","current_status_id":\#(current),"current_timestamp":"\#(time)","order_id":"\#(order)","is_return":\#(isReturn ? 1 : 0)}"#
    }

    static func shipway(_ code: String, time: String, awb: String = "SW1") -> String {
        #"{"hash":"0","status_feed":[{"order_id":"W-1","awbno":"\#(awb)","current_status":"\#(code)","status_time":"\#(time)"}]}"#
    }

    static func eshipz(tag: String, subtag: String = "", time: String, awb: String = "EZ1", extra: String = "") -> String {
        #"{"tracking_number":"\#(awb)","tracking_status":"\#(tag)","tracking_sub_status":"\#(subtag)","tracking_checkpoint_datetime":"\#(time)"\#(extra)}"#
    }

    static func outcomes(_ result: NormalisationResult) -> [EventOutcome] { result.events.map(\.outcome) }

    // MARK: D1 RTO once

    @Test("D1 Clickpost: the first RTO-family status emits RTO, later ones nothing, RTO delivered emits RTO_DELIVERED")
    func rtoOnceClickpost() throws {
        var harness = Harness()
        #expect(try harness.types(.clickpost, Self.clickpost(code: 13, time: "2024-03-05T10:00:00Z")) == ["RTO"])
        let progress = try harness.run(.clickpost, Self.clickpost(code: 21, time: "2024-03-06T10:00:00Z"))
        #expect(Self.outcomes(progress) == [.rtoProgress])
        #expect(try harness.types(.clickpost, Self.clickpost(code: 14, time: "2024-03-07T10:00:00Z")) == ["RTO_DELIVERED"])
    }

    @Test("D1 Shiprocket: RTO In-Transit first emits RTO; RTO OFD and RTO Initiated after it emit nothing")
    func rtoOnceShiprocket() throws {
        var harness = Harness()
        #expect(try harness.types(.shiprocket, Self.shiprocket(current: 55, time: "05 03 2024 10:00:00")) == ["RTO"])
        #expect(Self.outcomes(try harness.run(.shiprocket, Self.shiprocket(current: 45, time: "06 03 2024 10:00:00")))
                == [.rtoProgress])
        #expect(Self.outcomes(try harness.run(.shiprocket, Self.shiprocket(current: 15, time: "06 03 2024 11:00:00")))
                == [.rtoProgress])
        #expect(try harness.types(.shiprocket, Self.shiprocket(current: 16, time: "07 03 2024 10:00:00"))
                == ["RTO_DELIVERED"])
    }

    @Test("D1 Shipway: a repeated RTO with a newer time is not another RTO")
    func rtoOnceShipway() throws {
        var harness = Harness()
        #expect(try harness.types(.shipway, Self.shipway("RTO", time: "2024-03-05 10:00:00")) == ["RTO"])
        #expect(Self.outcomes(try harness.run(.shipway, Self.shipway("RTO", time: "2024-03-06 10:00:00")))
                == [.rtoProgress])
        #expect(try harness.types(.shipway, Self.shipway("RTD", time: "2024-03-07 10:00:00")) == ["RTO_DELIVERED"])
    }

    @Test("D1 eShipz: Return, then RTO and an RTO subtag, then RTO delivered")
    func rtoOnceEshipz() throws {
        var harness = Harness()
        #expect(try harness.types(.eshipz, Self.eshipz(tag: "Return", time: "2024-03-05 10:00:00")) == ["RTO"])
        #expect(Self.outcomes(try harness.run(.eshipz, Self.eshipz(tag: "RTO", time: "2024-03-06 10:00:00")))
                == [.rtoProgress])
        #expect(Self.outcomes(try harness.run(.eshipz, Self.eshipz(tag: "InTransit", subtag: "RTOInTransit",
                                                                  time: "2024-03-06 11:00:00"))) == [.rtoProgress])
        #expect(try harness.types(.eshipz, Self.eshipz(tag: "Delivered", subtag: "RTODelivered",
                                                       time: "2024-03-07 10:00:00")) == ["RTO_DELIVERED"])
    }

    // MARK: D2 eShipz exceptions and Return

    @Test("D2 eShipz: Lost, Damaged and cancellation subtags; an empty subtag is unmapped")
    func eshipzExceptions() throws {
        var harness = Harness()
        #expect(try harness.types(.eshipz, Self.eshipz(tag: "Exception", subtag: "Damaged", time: "2024-03-05 10:00:00",
                                                       awb: "D1")) == ["DAMAGED"])
        #expect(try harness.types(.eshipz, Self.eshipz(tag: "Exception", subtag: "Lost", time: "2024-03-05 10:00:00",
                                                       awb: "L1")) == ["LOST"])
        #expect(try harness.types(.eshipz, Self.eshipz(tag: "Exception", subtag: "CustomerCancelled",
                                                       time: "2024-03-05 10:00:00", awb: "C1")) == ["CANCELLED"])
        let empty = try harness.run(.eshipz, Self.eshipz(tag: "Exception", time: "2024-03-05 10:00:00", awb: "U1"))
        #expect(Self.outcomes(empty) == [.unmapped])
    }

    @Test("D2 eShipz: Return on a registered customer return (or with a reverse flag) is the return in transit")
    func eshipzReturnOfCustomerReturn() throws {
        var harness = Harness()
        harness.context.register(client: "acme", ShipmentRegistration(awb: "REV-EZ", forwardOrderCode: "ORD-9",
                                                                      isReturn: true))
        let registered = try harness.run(.eshipz, Self.eshipz(tag: "Return", time: "2024-03-05 10:00:00", awb: "REV-EZ"))
        #expect(registered.notifications.map(\.type) == [.inTransit])
        #expect(registered.notifications.first?.direction == .customerReturn)
        #expect(registered.notifications.first?.payload["returnOrderInfo"]?.isNull == false)
        let flagged = try harness.run(.eshipz, Self.eshipz(tag: "Return", time: "2024-03-05 10:00:00", awb: "REV-EZ2",
                                                           extra: #","is_reverse":true"#))
        #expect(flagged.notifications.map(\.type) == [.inTransit])
        #expect(flagged.notifications.first?.direction == .customerReturn)
    }

    // MARK: D3, D4, D5, D11 through the normaliser

    @Test("D3 Shiprocket return statuses are relayed as returns, QC failure as QC_FAILED")
    func shiprocketReturns() throws {
        var harness = Harness()
        let sequence: [(Int, String, String)] = [
            (21, "01 03 2024 10:00:00", "RETURN_ORDER_PLACED"), (28, "01 03 2024 11:00:00", "AWB_GENERATED"),
            (49, "02 03 2024 10:00:00", "PICKUP_ERROR"), (32, "03 03 2024 10:00:00", "RETURN_PICKED_UP"),
            (57, "04 03 2024 10:00:00", "QC_FAILED"),
        ]
        for (id, time, expected) in sequence {
            let result = try harness.run(.shiprocket, Self.shiprocket(current: id, time: time, awb: "SR-RET",
                                                                      isReturn: true, order: "RET-1"))
            #expect(result.notifications.map(\.type.name) == [expected], "status \(id)")
            #expect(result.notifications.first?.payload["returnOrderInfo"]?["returnOrderId"] == "RET-1")
        }
    }

    @Test("D4 pickup failure is PICKUP_ERROR and does not end the shipment; D5 held is SHIPMENT_STUCK")
    func pickupErrorNotTerminal() throws {
        var harness = Harness()
        #expect(try harness.types(.clickpost, Self.clickpost(code: 3, time: "2024-03-01T10:00:00Z")) == ["PICKUP_ERROR"])
        #expect(try harness.types(.clickpost, Self.clickpost(code: 4, time: "2024-03-02T10:00:00Z")) == ["PICKED_UP"])
        #expect(try harness.types(.clickpost, Self.clickpost(code: 20, time: "2024-03-03T10:00:00Z")) == ["SHIPMENT_STUCK"])
        #expect(try harness.types(.shipway, Self.shipway("PKF", time: "2024-03-01 10:00:00")) == ["PICKUP_ERROR"])
        #expect(try harness.types(.shipway, Self.shipway("ONH", time: "2024-03-02 10:00:00")) == ["SHIPMENT_STUCK"])
    }

    @Test("D11 Clickpost exchange statuses are relayed whatever is_rvp says, direction as usual")
    func clickpostExchange() throws {
        var harness = Harness()
        let forward = try harness.run(.clickpost, Self.clickpost(code: 30, time: "2024-03-01T10:00:00Z", awb: "EX1"))
        #expect(forward.notifications.map(\.type) == [.exchangePickup])
        #expect(forward.notifications.first?.payload["returnOrderInfo"]?.isNull == true)
        let reverse = try harness.run(.clickpost, Self.clickpost(code: 32, time: "2024-03-02T10:00:00Z", awb: "EX2",
                                                                 rvp: true))
        #expect(reverse.notifications.map(\.type) == [.exchangeDelivered])
        #expect(reverse.notifications.first?.payload["returnOrderInfo"]?.isNull == false)
    }

    // MARK: D6 returns named as returns

    @Test("D6 a registered return AWB meeting a forward PICKED_UP row is RETURN_PICKED_UP")
    func returnsNamedAsReturns() throws {
        var harness = Harness()
        harness.context.register(client: "acme", ShipmentRegistration(
            awb: "REV-1", forwardOrderCode: "ORD-FWD", isReturn: true,
            returnOrderInfo: ReturnOrderInfo(returnOrderId: "RET-7", returnAwb: "REV-1", transporter: nil,
                                             returnOrderTime: nil)))
        let clickpost = try harness.run(.clickpost, Self.clickpost(code: 4, time: "2024-03-13T08:45:00Z", awb: "REV-1"))
        let payload = try #require(clickpost.notifications.first?.payload)
        #expect(payload["notificationType"] == "RETURN_PICKED_UP")
        #expect(payload["forwardOrderCode"] == "ORD-FWD")
        #expect(payload["returnOrderInfo"]?["returnOrderId"] == "RET-7")
        harness.context.register(client: "acme", ShipmentRegistration(awb: "SW-REV", isReturn: true))
        #expect(try harness.types(.shipway, Self.shipway("PKP", time: "2024-03-13 08:45:00", awb: "SW-REV"))
                == ["RETURN_PICKED_UP"])
        #expect(try harness.types(.eshipz, Self.eshipz(tag: "PickedUp", time: "2024-03-13 08:45:00", awb: "EZ-REV",
                                                       extra: #","is_reverse":"true""#)) == ["RETURN_PICKED_UP"])
    }

    // MARK: D7 order-level callbacks

    @Test("D7 Shiprocket order-level callback (no awb): relayed keyed by the order, deduplicated per order")
    func orderLevelCallbacks() throws {
        var harness = Harness()
        let invoiced = Self.shiprocket(current: 2, time: "01 03 2024 10:00:00", awb: nil, order: "ORD-42")
        let first = try harness.run(.shiprocket, invoiced)
        let notification = try #require(first.notifications.first)
        #expect(notification.type == .invoiced)
        #expect(notification.shipmentKey.shipment == "order:ORD-42")
        #expect(notification.payload["forwardAwb"]?.isNull == true)
        #expect(notification.payload["forwardOrderCode"] == "ORD-42")
        #expect(Self.outcomes(try harness.run(.shiprocket, invoiced)) == [.duplicate])
        // An older order-level status after a newer one is stale for that order only.
        #expect(try harness.types(.shiprocket, Self.shiprocket(current: 3, time: "02 03 2024 10:00:00", awb: nil,
                                                               order: "ORD-42")) == ["READY_TO_SHIP"])
        #expect(Self.outcomes(try harness.run(.shiprocket, Self.shiprocket(
            current: 8, time: "01 03 2024 09:00:00", awb: nil, order: "ORD-42"))) == [.stale])
        #expect(try harness.types(.shiprocket, Self.shiprocket(current: 8, time: "01 03 2024 09:00:00", awb: nil,
                                                               order: "ORD-43")) == ["PAYMENT_FAILED"])
        // An empty awb is no awb.
        let empty = try CallbackParser.parse(aggregator: .shiprocket, body: Array(
            #"{"awb":"","order_id":"ORD-44","current_status_id":11}"#.utf8), contentType: nil)
        #expect(empty.events.first?.awb == nil)
        #expect(empty.events.first?.orderId == "ORD-44")
    }

    // MARK: D8 stable returnOrderTime

    @Test("D8 returnOrderTime is the first return event's time on every notification of one return")
    func stableReturnOrderTime() throws {
        var harness = Harness()
        let times = ["2024-03-01T10:00:00Z", "2024-03-02T10:00:00Z", "2024-03-04T10:00:00Z"]
        var seen: [JSONValue?] = []
        for (code, time) in zip([25, 4, 8], times) {
            let result = try harness.run(.clickpost, Self.clickpost(code: code, time: time, awb: "RV1", rvp: true))
            #expect(result.notifications.count == 1)
            seen.append(result.notifications.first?.payload["returnOrderInfo"]?["returnOrderTime"])
        }
        let first = JSONValue.int(TimestampParser().parse(times[0])!.epochSeconds)
        #expect(seen == [first, first, first])
        // RTO: the first RTO event's time, also on RTO_DELIVERED.
        _ = try harness.run(.clickpost, Self.clickpost(code: 12, time: "2024-03-05T10:00:00Z", awb: "F1"))
        let delivered = try harness.run(.clickpost, Self.clickpost(code: 14, time: "2024-03-08T10:00:00Z", awb: "F1"))
        #expect(delivered.notifications.first?.payload["returnOrderInfo"]?["returnOrderTime"]
                == .int(TimestampParser().parse("2024-03-05T10:00:00Z")!.epochSeconds))
    }

    @Test("D8 a no-notification return status seen first fixes the time; the registry's time wins")
    func returnOrderTimeFromFirstSeenAndRegistry() throws {
        var harness = Harness()
        // Clickpost 2 (pickup pending) on a return: no notification, but it is the first return event.
        #expect(try harness.types(.clickpost, Self.clickpost(code: 2, time: "2024-03-01T08:00:00Z", awb: "RV2",
                                                             rvp: true)) == [])
        let pickup = try harness.run(.clickpost, Self.clickpost(code: 25, time: "2024-03-02T08:00:00Z", awb: "RV2",
                                                                rvp: true))
        #expect(pickup.notifications.first?.payload["returnOrderInfo"]?["returnOrderTime"]
                == .int(TimestampParser().parse("2024-03-01T08:00:00Z")!.epochSeconds))
        harness.context.register(client: "acme", ShipmentRegistration(
            awb: "RV3", isReturn: true,
            returnOrderInfo: ReturnOrderInfo(returnOrderId: "R3", returnAwb: nil, transporter: nil,
                                             returnOrderTime: 1_700_000_000)))
        for (code, time) in [(25, "2024-03-01T08:00:00Z"), (4, "2024-03-02T08:00:00Z")] {
            let result = try harness.run(.clickpost, Self.clickpost(code: code, time: time, awb: "RV3"))
            #expect(result.notifications.first?.payload["returnOrderInfo"]?["returnOrderTime"] == .int(1_700_000_000))
        }
    }

    @Test("D8 a return first seen by its order (no AWB yet) keeps that time once the AWB appears")
    func returnOrderTimeFromOrderLevel() throws {
        var harness = Harness()
        let placed = try harness.run(.shiprocket, Self.shiprocket(current: 21, time: "01 03 2024 10:00:00", awb: nil,
                                                                  isReturn: true, order: "RET-8"))
        let awb = try harness.run(.shiprocket, Self.shiprocket(current: 28, time: "02 03 2024 10:00:00", awb: "SR-R8",
                                                               isReturn: true, order: "RET-8"))
        let expected = JSONValue.int(TimestampParser().parse("01 03 2024 10:00:00")!.epochSeconds)
        #expect(placed.notifications.first?.payload["returnOrderInfo"]?["returnOrderTime"] == expected)
        #expect(awb.notifications.first?.type == .awbGenerated)
        #expect(awb.notifications.first?.payload["returnOrderInfo"]?["returnOrderTime"] == expected)
    }

    // MARK: D10 courier names

    @Test("D10 Clickpost without account_code: courier from cp_id, or null for an unknown id")
    func clickpostCourierName() throws {
        var harness = Harness()
        let known = try harness.run(.clickpost, Self.clickpost(code: 6, time: "2024-03-01T08:00:00Z", courier: ""))
        #expect(known.notifications.first?.payload["courierName"] == "Delhivery")
        let unknown = try harness.run(.clickpost, Self.clickpost(code: 6, time: "2024-03-01T08:00:00Z", awb: "AWB9",
                                                                 courier: "").replacingOccurrences(of: #""cp_id":4"#,
                                                                                                   with: #""cp_id":4242"#))
        #expect(unknown.notifications.first?.payload["courierName"]?.isNull == true)
    }

    // MARK: Issue #12: untrusted event times

    @Test("an absurd future time (Int64.max) is relayed, marked, and does not suppress later events")
    func absurdFutureTime() throws {
        var harness = Harness()
        let poisoned = try harness.run(.clickpost, Self.clickpost(code: 5, time: "9223372036854775807", awb: "T1"))
        #expect(Self.outcomes(poisoned) == [.relayedUntrustedTime])
        #expect(poisoned.notifications.map(\.type) == [.inTransit])
        // The notification is ordered at its receive time, not at the absurd one.
        #expect(poisoned.notifications.first?.eventTime == NormaliserTests.received)
        #expect(try harness.types(.clickpost, Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", awb: "T1"))
                == ["OUT_FOR_DELIVERY"])
        #expect(try harness.types(.clickpost, Self.clickpost(code: 8, time: "2024-03-08T04:00:00Z", awb: "T1"))
                == ["DELIVERED"])
    }

    @Test("a microsecond epoch is read as the instant it names; a pre-2000 time is untrusted but relayed")
    func microsecondsAndPre2000() throws {
        var harness = Harness()
        let micro = try harness.run(.clickpost, Self.clickpost(code: 5, time: "1709800000000000", awb: "T2"))
        #expect(Self.outcomes(micro) == [.relayed])
        #expect(micro.events.first?.event.eventTime == EventTime(epochSeconds: 1_709_800_000))
        #expect(try harness.types(.clickpost, Self.clickpost(code: 8, time: "2024-03-08T04:00:00Z", awb: "T2"))
                == ["DELIVERED"])
        var other = Harness()
        let old = try other.run(.clickpost, Self.clickpost(code: 5, time: "1999-12-31T10:00:00Z", awb: "T3"))
        #expect(Self.outcomes(old) == [.relayedUntrustedTime])
        // Nor is an untrusted event judged stale against a trusted newer one.
        #expect(try other.types(.clickpost, Self.clickpost(code: 6, time: "2024-03-07T04:00:00Z", awb: "T3"))
                == ["OUT_FOR_DELIVERY"])
        let later = try other.run(.clickpost, Self.clickpost(code: 17, time: "1980-01-01T00:00:00Z", awb: "T3"))
        #expect(Self.outcomes(later) == [.relayedUntrustedTime])
    }

    @Test("a time up to 24 h after receipt is trusted; beyond it is not")
    func futureWindow() {
        let received = EventTime(epochSeconds: 1_710_000_000)
        #expect(EventTime(epochSeconds: 1_710_000_000 + 86_400).isTrusted(receivedAt: received))
        #expect(!EventTime(epochSeconds: 1_710_000_000 + 86_401).isTrusted(receivedAt: received))
        #expect(EventTime(epochSeconds: 946_684_800).isTrusted(receivedAt: received))
        #expect(!EventTime(epochSeconds: 946_684_799).isTrusted(receivedAt: received))
    }
}
