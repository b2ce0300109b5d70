import RelayCore
@testable import RelayDelivery
@testable import RelayStore
import Testing

/// The book's caps: requests in flight per endpoint, and claimed deliveries whose outcome is not yet committed.
@Suite("Delivery book")
struct DeliveryBookTests {
    static func delivery(_ seq: Int64, shipment: String? = nil, endpoint: String = "acme/notification") -> DueDelivery {
        let time = EventTime(epochMilliseconds: 1_700_000_000_000 + seq)
        return DueDelivery(seq: seq, notificationId: "ntf_\(seq)", client: "acme", endpointId: endpoint,
                           orderingKey: shipment ?? "S\(seq)", eventTime: time, nextAttemptAt: time, attempts: 0,
                           payload: [])
    }

    @Test("an answered request frees its endpoint slot; its chain stays busy until the outcome is committed")
    func answeredFreesTheSlotNotTheChain() {
        var book = DeliveryBook()
        let first = Self.delivery(1, shipment: "S")
        let next = Self.delivery(2, shipment: "S")
        let other = Self.delivery(3)
        book.claim(first)
        #expect(!book.mayClaim(other, cap: 1))
        book.answered(first)
        #expect(book.mayClaim(other, cap: 1))
        #expect(!book.mayClaim(next, cap: 1))
        book.answered(first)  // twice: no second slot
        #expect(book.endpointInFlight["acme/notification"] == 0)
        book.finish(first)
        #expect(book.mayClaim(next, cap: 1))
        #expect(book.endpointInFlight["acme/notification"] == 0)
        #expect(book.endpointClaimed["acme/notification"] == 0)
    }

    @Test("answered but uncommitted deliveries stay under twice the cap")
    func claimedCappedAtTwice() {
        var book = DeliveryBook()
        let cap = 2
        for seq in Int64(1)...4 {
            let delivery = Self.delivery(seq)
            #expect(book.mayClaim(delivery, cap: cap))
            book.claim(delivery)
            // One request in flight (the earlier ones were answered); room left under twice the cap.
            #expect(book.freeSlots(of: delivery.endpointId, cap: cap) == min(cap - 1, 2 * cap - Int(seq)))
            book.answered(delivery)
        }
        // Four answered, none committed: the endpoint has free request slots but no more room.
        #expect(book.endpointInFlight["acme/notification"] == 0)
        #expect(book.freeSlots(of: "acme/notification", cap: cap) == 0)
        #expect(!book.mayClaim(Self.delivery(5), cap: cap))
        #expect(book.mayClaim(Self.delivery(6, endpoint: "acme/return_ack"), cap: cap))
        book.finish(Self.delivery(1))
        #expect(book.freeSlots(of: "acme/notification", cap: cap) == 1)
    }

    @Test("a released claim frees slot and chain once; finishing an unknown delivery changes no count")
    func releaseAndUnknownFinish() {
        var book = DeliveryBook()
        let delivery = Self.delivery(1, shipment: "S")
        book.claim(delivery)
        book.release(delivery)
        book.release(delivery)
        #expect(book.endpointInFlight["acme/notification"] == 0)
        #expect(book.endpointClaimed["acme/notification"] == 0)
        book.finish(Self.delivery(9, shipment: "S"))
        #expect(book.endpointClaimed["acme/notification"] == 0)
    }

    @Test("waiting chains: only chains busy here are noted, and the set is bounded")
    func waitingChains() {
        var book = DeliveryBook()
        let busy = Self.delivery(1, shipment: "W1")
        book.claim(busy)
        book.noteWaiting([busy.chain, Self.delivery(2, shipment: "W2").chain])
        #expect(book.waitingChains == [busy.chain])
        // Past 10,000 the set starts again rather than growing.
        book.waitingChains = Set((0...10_000).map { "chain-\($0)" })
        book.noteWaiting([busy.chain])
        #expect(book.waitingChains == [busy.chain])
    }

    @Test("leased by a commit over the request cap: they wait in order and go as requests end; one whose lease would end during its attempt is dropped")
    func leasedWaiting() {
        var book = DeliveryBook()
        let cap = 2
        let endpoint = "acme/notification"
        // Room for four times the cap, claimed and unfinished, reserved at once.
        #expect(book.reserveFresh(10, of: endpoint, cap: cap) == 8)
        book.unreserve(8, of: endpoint)
        let later = EventTime(epochMilliseconds: 100_000)
        let leased = (1...5).map { Self.delivery(Int64($0)) }
        let now = book.enterLeased(leased, until: later, signals: 0) { _ in cap }
        #expect(now.map(\.seq) == [1, 2])
        #expect(book.endpointInFlight[endpoint] == 2 && book.endpointClaimed[endpoint] == 5)
        #expect(book.freeSlots(of: endpoint, cap: cap) <= 0)
        // No slot free: nothing goes.
        #expect(book.nextLeased(of: endpoint, cap: cap, latest: EventTime(epochMilliseconds: 0)).next == nil)
        book.answered(now[0])
        #expect(book.nextLeased(of: endpoint, cap: cap, latest: EventTime(epochMilliseconds: 0)).next?.seq == 3)
        #expect(book.endpointInFlight[endpoint] == 2)
        // A lease ending before an attempt started now could end: dropped, not sent.
        book.answered(now[1])
        let late = book.nextLeased(of: endpoint, cap: cap, latest: EventTime(epochMilliseconds: 200_000))
        #expect(late.next == nil && late.expired.map(\.seq) == [4, 5])
        #expect(book.leasedWaiting.isEmpty && book.endpointClaimed[endpoint] == 3)
        #expect(!book.inFlight.contains(4) && !book.inFlight.contains(5))
    }
}
