import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// `appstore-createTransaction` and `appstore-handleWebhookEvents` against a fake Server API and the in-memory
/// ledger (issue 8).
@Suite struct AppStoreGatewayTests {
    // MARK: - createTransaction

    @Test func signedTransactionCreditsTheProductOnceUnderItsTransactionID() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase(productID: "coins_1200")
        let answer = try h.redeem(signed)
        #expect(answer.status == 200 && answer.json == .object([("result", .string("success"))]))
        let row = try #require(h.row(id))
        #expect(row.uid == "user-1" && row.gateway == "appstore" && row.amount == Money(cents: 999))
        #expect(row.refundOf == nil && row.sessionID == nil)
        #expect(h.ledger.rows.count == 1)
        #expect(h.transport.requests.isEmpty, "a signed transaction needs no Server API call")
    }

    @Test func aQuantityCreditsEachUnit() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase([("quantity", .int(3))])
        #expect(try h.redeem(signed).status == 200)
        #expect(h.row(id)?.amount == Money(cents: 1497))
        let (_, tooMany) = try h.purchase([("quantity", .int(11))])
        #expect(clientError { try h.redeem(tooMany) } == .badRequest)
    }

    @Test func aReplayByTheOwnerSucceedsAndWritesNothing() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase()
        #expect(try h.redeem(signed).status == 200)
        #expect(try h.redeem(signed).json == .object([("result", .string("success"))]))
        #expect(try h.redeem(transactionID: id).status == 200)
        #expect(h.ledger.rows.count == 1)
    }

    @Test func anotherUsersPurchaseIsRefusedAndStaysRedeemableByItsOwner() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase(uid: "owner")
        let refused = clientError { try h.redeem(signed, uid: "thief") }
        #expect(refused == .notFound)
        #expect(clientError { try h.redeem(transactionID: id, uid: "thief") } == .notFound)
        #expect(h.ledger.rows.isEmpty)
        #expect(try h.redeem(signed, uid: "owner").status == 200)
        #expect(h.row(id)?.uid == "owner")
    }

    @Test func aPurchaseWithoutAnAccountTokenIsNobodys() throws {
        let h = try AppStoreHarness()
        let (_, signed) = try h.purchase([("appAccountToken", .null)])
        #expect(clientError { try h.redeem(signed) } == .notFound)
        let (_, upper) = try h.purchase([
            ("appAccountToken", .string(AppStoreAccountToken.forUID("user-1").uppercased()))
        ])
        #expect(try h.redeem(upper).status == 200, "the token compares case-insensitively")
    }

    @Test func unknownProductsAndNonConsumablesAreBadRequests() throws {
        let h = try AppStoreHarness()
        let (_, unknown) = try h.purchase(productID: "coins_9999")
        #expect(clientError { try h.redeem(unknown) } == .badRequest)
        let (_, nonConsumable) = try h.purchase([("type", .string("Non-Consumable"))])
        #expect(clientError { try h.redeem(nonConsumable) } == .badRequest)
        #expect(h.ledger.rows.isEmpty)
    }

    @Test func aRevokedPurchaseCreditsNothing() throws {
        let h = try AppStoreHarness()
        let (_, signed) = try h.purchase(revoked: true)
        #expect(clientError { try h.redeem(signed) } == .conflict)
        #expect(h.ledger.rows.isEmpty && h.ledger.operatorItems.isEmpty)
    }

    @Test func forgedOrForeignTransactionsAreRefusedAndWriteNothing() throws {
        let h = try AppStoreHarness()
        let rogue = try AppStoreTestPKI.make()
        let id = h.nextID()
        let forgeries = [
            try rogue.sign(AppStoreTestPKI.transaction(id: id)),
            try h.pki.sign(AppStoreTestPKI.transaction(id: id, bundleID: "com.example.other")),
            try h.pki.sign(AppStoreTestPKI.transaction(id: id, environment: "Production")),
            try h.pki.sign(AppStoreTestPKI.transaction(id: id, environment: "Xcode")),
            "not.a.jws",
        ]
        for forged in forgeries {
            #expect(clientError { try h.redeem(forged) } == .badRequest)
        }
        var tampered = try h.pki.sign(AppStoreTestPKI.transaction(id: id)).split(separator: ".").map(String.init)
        tampered[1] = Base64.urlEncode(
            Array(AppStoreTestPKI.transaction(id: id, productID: "coins_1200").serialized().utf8))
        #expect(clientError { try h.redeem(tampered.joined(separator: ".")) } == .badRequest)
        #expect(clientError { try h.call("createTransaction", body: .object([])) } == .badRequest)
        #expect(clientError { try h.redeem(transactionID: "../../x") } == .badRequest)
        #expect(h.ledger.rows.isEmpty)
    }

    @Test func transactionIDIsLookedUpWithTheServerAPI() throws {
        let h = try AppStoreHarness()
        let (id, _) = try h.purchase()
        #expect(try h.redeem(transactionID: id).status == 200)
        #expect(h.transport.requests.map(\.url) == ["\(AppStoreHarness.apiBase)/inApps/v1/transactions/\(id)"])
        #expect(h.row(id)?.amount == Money(cents: 499))
        #expect(clientError { try h.redeem(transactionID: "2999") } == .badRequest, "unknown to Apple: 404 → 400")
    }

    @Test func anAppStoreOutageIs502AndTheSameCallSucceedsOnceItIsBack() throws {
        let h = try AppStoreHarness()
        let (id, _) = try h.purchase()
        h.setServerFailing(true)
        #expect(clientError { try h.redeem(transactionID: id) } == .gatewayUnavailable)
        #expect(h.ledger.rows.isEmpty)
        h.setServerFailing(false)
        #expect(try h.redeem(transactionID: id).status == 200)
        #expect(h.row(id) != nil)
    }

    @Test func anOldSignedTransactionIsReadAgainSoARefundBeforeTheCreditHolds() throws {
        let h = try AppStoreHarness()
        let old: [(String, JSONValue)] = [("signedDate", .int(AppStoreTestPKI.nowMilliseconds - 1_200_000))]
        let (refunded, refundedCopy) = try h.purchase(old)
        #expect(try h.notify("REFUND", id: refunded).status == 200)
        try h.revokeAtServer(refunded)
        #expect(clientError { try h.redeem(refundedCopy) } == .conflict)
        #expect(h.transport.requests.count == 1)
        let (kept, keptCopy) = try h.purchase(old)
        #expect(try h.redeem(keptCopy).status == 200)
        #expect(h.row(kept) != nil && h.transport.requests.count == 2)
        let (fresh, freshCopy) = try h.purchase()
        try h.revokeAtServer(fresh)
        #expect(try h.redeem(freshCopy).status == 200, "a fresh copy is taken as signed")
        #expect(h.transport.requests.count == 2)
        let (_, outage) = try h.purchase(old)
        h.setServerFailing(true)
        #expect(clientError { try h.redeem(outage) } == .gatewayUnavailable)
        #expect(h.ledger.rows.count == 2 && h.ledger.rows.allSatisfy { $0.paymentID != refunded })
    }

    @Test func anOldSignedTransactionAppleDoesNotServeHereStandsAsSigned() throws {
        let h = try AppStoreHarness()
        let id = h.nextID()
        let payload = AppStoreTestPKI.transaction(id: id, signedDate: AppStoreTestPKI.nowMilliseconds - 1_200_000)
        #expect(try h.redeem(try h.pki.sign(payload)).status == 200)
        #expect(h.row(id) != nil && h.transport.requests.count == 1)
    }

    // MARK: - handleWebhookEvents

    @Test func refundWritesOneNegativeRowWhateverTheNumberOfNotifications() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase()
        #expect(try h.redeem(signed).status == 200)
        let uuid = "11111111-0000-4000-8000-000000000001"
        let first = try h.notify("REFUND", id: id, uuid: uuid)
        #expect(first.status == 200 && first.json == .object([("received", .bool(true))]))
        let refund = try #require(h.row("\(id)-refund"))
        #expect(refund.amount == Money(cents: -499) && refund.uid == "user-1" && refund.refundOf == h.row(id)?.id)
        #expect(h.ledger.events["appstore|\(uuid)"]?.outcome == "refunded")
        #expect(try h.notify("REFUND", id: id, uuid: uuid).status == 200)
        #expect(try h.notify("REFUND", id: id).status == 200)
        #expect(h.ledger.rows.count == 2)
    }

    @Test func aProratedRefundTakesBackItsShare() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase()
        #expect(try h.redeem(signed).status == 200)
        let changes: [(String, JSONValue)] = [
            ("revocationType", .string("REFUND_PRORATED")), ("revocationPercentage", .int(50_000)),
        ]
        #expect(try h.notify("REFUND", id: id, changes: changes).status == 200)
        #expect(h.row("\(id)-refund")?.amount == Money(cents: -250))
    }

    @Test func aRefundOfAPurchaseNeverCreditedHereWritesNothing() throws {
        let h = try AppStoreHarness()
        let (id, _) = try h.purchase()
        #expect(try h.notify("REFUND", id: id).status == 200)
        #expect(h.ledger.rows.isEmpty && h.ledger.operatorItems.isEmpty)
        #expect(h.ledger.events.values.map(\.outcome) == ["not-credited"])
        #expect(try h.notify("REFUND_REVERSED", id: id).status == 200)
        #expect(h.ledger.rows.isEmpty)
    }

    @Test func refundReversedGivesTheBookedRefundBackOnce() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase()
        #expect(try h.redeem(signed).status == 200)
        #expect(clientError { try h.notify("REFUND_REVERSED", id: id) }?.status == 503, "before its refund: retried")
        #expect(h.ledger.rows.count == 1 && h.ledger.events.isEmpty)
        #expect(try h.notify("REFUND", id: id).status == 200)
        #expect(try h.notify("REFUND_REVERSED", id: id).status == 200)
        #expect(try h.notify("REFUND_REVERSED", id: id).status == 200)
        let back = try #require(h.row("\(id)-refund-reversed"))
        #expect(back.amount == Money(cents: 499) && back.uid == "user-1")
        #expect(h.ledger.rows.map(\.amount.cents).reduce(0, +) == 499)
        #expect(h.ledger.rows.count == 3)
    }

    @Test func forgedNotificationsAre401AndStoreNothing() throws {
        let h = try AppStoreHarness()
        let (id, signed) = try h.purchase()
        #expect(try h.redeem(signed).status == 200)
        let rogue = try AppStoreTestPKI.make()
        #expect(clientError { try h.notify("REFUND", id: id, signer: rogue) } == .unauthorized)
        let noOID = try AppStoreTestPKI.make(leafOID: false, root: (h.pki.root, h.pki.rootKey))
        #expect(clientError { try h.notify("REFUND", id: id, signer: noOID) } == .unauthorized)
        let foreign = try h.pki.sign(AppStoreTestPKI.notification(bundleID: "com.example.other"))
        #expect(
            clientError {
                try h.call("handleWebhookEvents", body: .object([("signedPayload", .string(foreign))]), uid: nil)
            } == .unauthorized)
        #expect(
            clientError { try h.call("handleWebhookEvents", body: .object([("x", .int(1))]), uid: nil) }
                == .badRequest)
        #expect(h.ledger.rows.count == 1 && h.ledger.events.isEmpty)
    }

    @Test func testAndOtherNotificationsAreRecordedWithoutEffect() throws {
        let h = try AppStoreHarness()
        #expect(try h.notify("TEST", id: nil).status == 200)
        let (id, signed) = try h.purchase()
        #expect(try h.redeem(signed).status == 200)
        #expect(try h.notify("CONSUMPTION_REQUEST", id: id).status == 200)
        #expect(h.ledger.rows.count == 1)
        #expect(h.ledger.events.values.map(\.outcome).sorted() == ["ignored", "ignored"])
    }
}
