import Foundation
import Gateways
import PaymentsCore
import PaymentsTestSupport
import Testing

/// Refunds, reversals and denials are booked as PayPal's API reports them, never as the body says, and deliveries
/// are accepted only inside the transmission-time window (issue 6, defect 3).
@Suite struct PayPalWebhookTests {
    /// A harness with a credited capture of $20.00; answers it and the capture id.
    static func credited() throws -> (PayPalHarness, String) {
        let h = try PayPalHarness()
        let id = try h.createOrder(amount: 2000)
        h.paypal.approve(id)
        #expect(try h.capture(id).status == 200)
        return (h, "CAP\(id)")
    }

    /// The status a delivery is answered with (thrown errors included).
    static func status(_ delivery: () throws -> APIResponse) -> Int {
        do { return try delivery().status } catch { return PayPalHarness.status(error) ?? -1 }
    }

    @Test func refundsAreBookedAsPayPalReportsThem() throws {
        let (h, captureID) = try Self.credited()
        // The body was sent while the refund was PENDING; PayPal now says COMPLETED: booked.
        _ = h.refundResource("REF1", capture: captureID, value: "5.00")
        let pending = PayPalHarness.refundJSON(
            "REF1", capture: captureID, value: "5.00", status: "PENDING", currency: "USD")
        #expect(try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: pending, eventID: "WH-1").status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == [captureID, "REF1"] && h.ledger.rows.last?.amount.cents == -500)
        // The body says COMPLETED, PayPal still says PENDING: nothing booked yet.
        let completed = h.refundResource("REF2", capture: captureID, value: "1.00", status: "PENDING").setting(
            "status", .string("COMPLETED"))
        #expect(try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: completed, eventID: "WH-2").status == 200)
        #expect(h.ledger.rows.count == 2 && h.ledger.events["paypal|WH-2"]?.outcome == "not-final")
        let refundReads = h.transport.requests.filter { $0.url.hasPrefix(FakePayPal.base + "/v2/payments/refunds/") }
        #expect(refundReads.map(\.url) == ["REF1", "REF2"].map { FakePayPal.base + "/v2/payments/refunds/\($0)" })
    }

    @Test(arguments: ["PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"])
    func anAdjustmentPayPalDoesNotKnowIs401AndStoresNothing(type: String) throws {
        let (h, captureID) = try Self.credited()
        let forged = h.refundResource("FORGED1", capture: captureID, value: "15.00", known: false)
        let error = #expect(throws: APIError.self) { try h.deliver(type, resource: forged, eventID: "WH-F") }
        #expect(error?.code == .unauthorized)
        #expect(h.ledger.rows.count == 1 && h.ledger.events.isEmpty)
    }

    @Test func aBodyThatDisagreesWithPayPalIs401AndStoresNothing() throws {
        let (h, captureID) = try Self.credited()
        _ = h.refundResource("REF1", capture: captureID, value: "5.00")
        let other = try h.createOrder(amount: 1000)
        h.paypal.approve(other)
        _ = try h.capture(other)
        for (name, resource) in [
            (
                "a larger amount",
                PayPalHarness.refundJSON(
                    "REF1", capture: captureID, value: "19.00", status: "COMPLETED", currency: "USD")
            ),
            (
                "another currency",
                PayPalHarness.refundJSON(
                    "REF1", capture: captureID, value: "5.00", status: "COMPLETED", currency: "EUR")
            ),
            (
                "another capture",
                PayPalHarness.refundJSON(
                    "REF1", capture: "CAP\(other)", value: "5.00", status: "COMPLETED", currency: "USD")
            ),
        ] {
            let error = #expect(throws: APIError.self, "\(name)") {
                try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: resource, eventID: "WH-\(name)")
            }
            #expect(error?.code == .unauthorized, "\(name)")
        }
        #expect(h.ledger.rows.count == 2 && h.ledger.events.isEmpty)
    }

    @Test func paypalUnavailableForTheReReadIs502AndStoresNothing() throws {
        let (h, captureID) = try Self.credited()
        let resource = h.refundResource("REF1", capture: captureID, value: "5.00")
        h.paypal.state.withLock { $0.failNext["/v2/payments/refunds"] = 1 }
        #expect(Self.status { try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: resource, eventID: "WH-1") } == 502)
        #expect(h.ledger.rows.count == 1 && h.ledger.events.isEmpty)
        // PayPal's retry books it.
        #expect(try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: resource, eventID: "WH-1").status == 200)
        #expect(h.ledger.rows.map(\.paymentID) == [captureID, "REF1"])
    }

    @Test func aDenialIsReReadBeforeTheSessionCloses() throws {
        let h = try PayPalHarness()
        let id = try h.pendingCapture()
        // PayPal says the capture is still PENDING: a body claiming DECLINED is refused.
        let claimed = h.paypal.state.withLock { $0.captures["CAP\(id)"] ?? .null }.setting(
            "status", .string("DECLINED"))
        let error = #expect(throws: APIError.self) {
            try h.deliver("PAYMENT.CAPTURE.DENIED", resource: claimed, eventID: "WH-D1")
        }
        #expect(error?.code == .unauthorized && h.ledger.sessions.first?.status == .pending && h.ledger.events.isEmpty)
        // Unknown to PayPal: refused too.
        let unknown = claimed.setting("id", .string("CAPNOPE"))
        #expect(Self.status { try h.deliver("PAYMENT.CAPTURE.DENIED", resource: unknown, eventID: "WH-D2") } == 401)
        h.paypal.setCaptureStatus("CAP\(id)", "DECLINED")
        #expect(try h.deliver("PAYMENT.CAPTURE.DENIED", resource: claimed, eventID: "WH-D3").status == 200)
        #expect(h.ledger.sessions.first?.status == .failed)
    }

    @Test func deliveriesOutsideTheTransmissionWindowAre401BeforeAnyFetch() throws {
        let (h, captureID) = try Self.credited()
        let resource = h.refundResource("REF1", capture: captureID, value: "5.00")
        let before = h.transport.requests.count
        let now = h.clock.now
        for sentAt in [now - PayPalSignature.transmissionMaxAge - 1, now + PayPalSignature.transmissionMaxSkew + 1] {
            let error = #expect(throws: APIError.self) {
                try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: resource, eventID: "WH-T", sentAt: sentAt)
            }
            #expect(error?.code == .unauthorized)
        }
        #expect(h.transport.requests.count == before && h.ledger.events.isEmpty)
        for sentAt in [now - PayPalSignature.transmissionMaxAge + 60, now + PayPalSignature.transmissionMaxSkew - 1] {
            #expect(try h.deliver("PAYMENT.CAPTURE.REFUNDED", resource: resource, sentAt: sentAt).status == 200)
        }
        #expect(h.ledger.rows.map(\.paymentID) == [captureID, "REF1"])
    }
}
