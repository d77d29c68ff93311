import Foundation
import PaymentsCore
import Testing

/// The sandbox's App Store (`/control/appstore/...`): purchases signed with its test Apple PKI, its Server API's
/// fault switch, and V2 notifications it signs and delivers.
struct AppStoreSandbox: Sendable {
    let stack: Stack

    private func control(_ path: String, _ body: JSONValue) throws -> JSONValue {
        let result = try stack.sandbox.postRaw("/control/appstore" + path, body)
        guard result.status == 200, let json = result.json else {
            throw SandboxError(description: "sandbox /control/appstore\(path) answered \(result)")
        }
        return json
    }

    /// A purchase of `productID` bound to `uid` (or carrying no account token): its id and StoreKit JWS.
    func purchase(
        uid: String?, productID: String = "coins_500", revoked: Bool = false, signer: String = "genuine",
        extra: [(String, JSONValue)] = []
    ) throws -> (id: String, signed: String) {
        var body: [(String, JSONValue)] = [
            ("productId", .string(productID)), ("revoked", .bool(revoked)), ("signer", .string(signer)),
        ]
        if let uid { body.append(("uid", .string(uid))) }
        let answer = try control("/transactions", .object(body + extra))
        let id = try #require(answer["transactionId"]?.stringValue, "\(answer)")
        let signed = try #require(answer["signedTransaction"]?.stringValue, "\(answer)")
        return (id, signed)
    }

    /// A V2 notification about `transactionID`, delivered by the sandbox unless `deliver` is false; its answer
    /// carries `notificationUUID`, `signedPayload` and the responder's `status`.
    func notify(
        _ type: String, transactionID: String?, uuid: String? = nil, deliver: Bool = true,
        extra: [(String, JSONValue)] = []
    ) throws -> JSONValue {
        var body: [(String, JSONValue)] = [("notificationType", .string(type)), ("deliver", .bool(deliver))]
        if let transactionID { body.append(("transactionId", .string(transactionID))) }
        if let uuid { body.append(("notificationUUID", .string(uuid))) }
        return try control("/notify", .object(body + extra))
    }

    func setFailing(_ failing: Bool) throws { _ = try control("", .object([("fail", .bool(failing))])) }

    func redeem(_ signed: String, token: String) throws -> HTTPResult {
        try stack.api.post(
            "appstore-createTransaction", .object([("signedTransaction", .string(signed))]), token: token)
    }

    func redeem(transactionID: String, token: String) throws -> HTTPResult {
        try stack.api.post(
            "appstore-createTransaction", .object([("transactionId", .string(transactionID))]), token: token)
    }

    func deliver(_ signedPayload: String) throws -> HTTPResult {
        try stack.api.post(
            "appstore-handleWebhookEvents", .object([("signedPayload", .string(signedPayload))]), token: nil)
    }
}

extension Integration {
    /// App Store purchases and refunds through nginx, the responder and MariaDB, against the sandbox's App Store
    /// (issue 8).
    @Suite("App Store", .serialized)
    struct AppStoreIntegrationTests {
        static func connect() throws -> (Stack, AppStoreSandbox) {
            let stack = try Stack.connect()
            return (stack, AppStoreSandbox(stack: stack))
        }

        @Test("a signed transaction credits the product once; replays by the owner answer success and write nothing")
        func creditAndReplay() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-credit")
            let (id, signed) = try store.purchase(uid: uid, productID: "coins_1200")
            let answer = try store.redeem(signed, token: token)
            #expect(answer.status == 200 && answer.json == .object([("result", .string("success"))]), "\(answer)")
            let row = try #require(try stack.db.ledgerRow(paymentID: id))
            #expect(row.uid == uid && row.gateway == "appstore" && row.amount == 999 && row.sessionID == nil)
            #expect(try stack.waitForSync(id, uid: uid))
            let replay = try store.redeem(signed, token: token)
            #expect(replay.status == 200 && replay.json == .object([("result", .string("success"))]), "\(replay)")
            #expect(try store.redeem(transactionID: id, token: token).status == 200)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test("another user's purchase is refused (not 401/429), writes nothing, and its owner can still redeem it")
        func otherUsersPurchase() throws {
            let (stack, store) = try Self.connect()
            let (owner, ownerToken) = try stack.newUser("as-owner")
            let (thief, thiefToken) = try stack.newUser("as-thief")
            let (id, signed) = try store.purchase(uid: owner)
            for refused in [
                try store.redeem(signed, token: thiefToken), try store.redeem(transactionID: id, token: thiefToken),
            ] {
                #expect(refused.status == 404 && refused.errorName == "NotFoundException", "\(refused)")
            }
            let (_, unbound) = try store.purchase(uid: nil)
            #expect(try store.redeem(unbound, token: thiefToken).status == 404)
            #expect(try stack.db.ledgerCount(uid: thief) == 0 && stack.db.ledgerCount(paymentID: id) == 0)
            #expect(try store.redeem(signed, token: ownerToken).status == 200)
            #expect(try stack.db.ledgerRow(paymentID: id)?.uid == owner)
        }

        @Test("unknown product 400, revoked purchase credits nothing, no token 401")
        func refusals() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-refuse")
            let (_, unknown) = try store.purchase(uid: uid, productID: "coins_unknown")
            let bad = try store.redeem(unknown, token: token)
            #expect(bad.status == 400 && bad.errorName == "BadRequestException", "\(bad)")
            let (_, revoked) = try store.purchase(uid: uid, revoked: true)
            let refused = try store.redeem(revoked, token: token)
            #expect(refused.status == 409 && refused.errorName == "ConflictException", "\(refused)")
            #expect(
                try stack.api.post(
                    "appstore-createTransaction", .object([("signedTransaction", .string(revoked))]), token: nil
                ).status == 401)
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test(
            "forged transactions (rogue root or intermediate, missing OIDs, wrong bundle or environment, tampered) are 400"
        )
        func forgedTransactions() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-forged")
            var forgeries: [(String, String)] = []
            for signer in ["rogueRoot", "rogueIntermediate", "noLeafOID", "noIntermediateOID"] {
                forgeries.append((signer, try store.purchase(uid: uid, signer: signer).signed))
            }
            forgeries.append(
                ("bundle", try store.purchase(uid: uid, extra: [("bundleId", .string("com.other"))]).signed))
            forgeries.append(
                ("environment", try store.purchase(uid: uid, extra: [("environment", .string("Production"))]).signed))
            forgeries.append(("tamper", try store.purchase(uid: uid, extra: [("tamper", .bool(true))]).signed))
            for (name, forged) in forgeries {
                let answer = try store.redeem(forged, token: token)
                #expect(answer.status == 400 && answer.errorName == "BadRequestException", "\(name): \(answer)")
            }
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test(
            "transactionId lookups: unknown 400; App Store 5xx 502 writing nothing; the same call succeeds once it is back"
        )
        func serverAPIOutage() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-outage")
            let unknown = try store.redeem(transactionID: "1999999999999999", token: token)
            #expect(unknown.status == 400 && unknown.errorName == "BadRequestException", "\(unknown)")
            let (id, _) = try store.purchase(uid: uid)
            try store.setFailing(true)
            defer { try? store.setFailing(false) }
            let down = try store.redeem(transactionID: id, token: token)
            #expect([502, 503].contains(down.status) && down.errorName == "GatewayUnavailableException", "\(down)")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            try store.setFailing(false)
            var answer = try store.redeem(transactionID: id, token: token)
            if answer.status == 503 {
                // Five failures in a row may have opened the circuit: it half-opens after its cool-down.
                try eventually(timeout: 40) {
                    answer = try store.redeem(transactionID: id, token: token)
                    return answer.status == 200
                }
            }
            #expect(answer.status == 200, "\(answer)")
            #expect(try stack.db.ledgerRow(paymentID: id)?.amount == 499)
        }

        @Test("20 concurrent identical redemptions: all succeed, one row")
        func concurrentStorm() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-storm")
            let (id, signed) = try store.purchase(uid: uid)
            let answers = concurrently(20) { _ in (try? store.redeem(signed, token: token))?.status ?? 0 }
            #expect(answers.allSatisfy { $0 == 200 }, "\(answers)")
            #expect(try stack.db.ledgerCount(paymentID: id) == 1)
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }

        @Test(
            "REFUND writes one negative row per transaction; duplicates and repeats change nothing; REFUND_REVERSED gives it back once"
        )
        func refundAndReversal() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-refund")
            let (id, signed) = try store.purchase(uid: uid)
            #expect(try store.redeem(signed, token: token).status == 200)
            #expect(try stack.waitForSync(id, uid: uid))
            let early = try store.notify("REFUND_REVERSED", transactionID: id)
            #expect(early["status"]?.int64Value == 503, "a reversal before its refund is retried: \(early)")
            let refund = try store.notify("REFUND", transactionID: id)
            #expect(refund["status"]?.int64Value == 200, "\(refund)")
            let uuid = try #require(refund["notificationUUID"]?.stringValue)
            let payload = try #require(refund["signedPayload"]?.stringValue)
            let row = try #require(try stack.db.ledgerRow(paymentID: "\(id)-refund"))
            let credit = try stack.db.ledgerRow(paymentID: id)
            #expect(row.amount == -499 && row.uid == uid && row.refundOf == credit?.id)
            #expect(try stack.db.webhookEvent(eventID: uuid, gateway: "appstore")?.outcome == "refunded")
            #expect(try store.deliver(payload).status == 200)
            #expect(try store.notify("REFUND", transactionID: id)["status"]?.int64Value == 200)
            #expect(try stack.db.ledgerCount(uid: uid) == 2)
            let reversal = try store.notify("REFUND_REVERSED", transactionID: id)
            #expect(reversal["status"]?.int64Value == 200, "\(reversal)")
            #expect(try store.notify("REFUND_REVERSED", transactionID: id)["status"]?.int64Value == 200)
            #expect(try stack.db.ledgerRow(paymentID: "\(id)-refund-reversed")?.amount == 499)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).reduce(0, +) == 499)
            #expect(try stack.db.ledgerCount(uid: uid) == 3)
        }

        @Test(
            "a refund of a purchase never credited here is recorded, writes nothing, and the purchase can no longer be credited"
        )
        func refundNeverCredited() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-nocredit")
            // Signed 20 minutes ago: an app redeeming late presents the copy StoreKit signed before the refund.
            let signedDate = Int64(Date().timeIntervalSince1970 * 1000) - 1_200_000
            let (id, signed) = try store.purchase(uid: uid, extra: [("signedDate", .int(signedDate))])
            let refund = try store.notify("REFUND", transactionID: id)
            #expect(refund["status"]?.int64Value == 200, "\(refund)")
            let uuid = try #require(refund["notificationUUID"]?.stringValue)
            #expect(try stack.db.webhookEvent(eventID: uuid, gateway: "appstore")?.outcome == "not-credited")
            #expect(try stack.db.ledgerCount(paymentID: "\(id)-refund") == 0)
            // The refunded purchase, read again from the App Store, is revoked: it credits nothing either.
            #expect(try store.redeem(transactionID: id, token: token).status == 409)
            let late = try store.redeem(signed, token: token)
            #expect(late.status == 409 && late.errorName == "ConflictException", "\(late)")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
        }

        @Test("20 concurrent deliveries of one REFUND: all 200, one row, one event")
        func refundStorm() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-rstorm")
            let (id, signed) = try store.purchase(uid: uid)
            #expect(try store.redeem(signed, token: token).status == 200)
            let notification = try store.notify("REFUND", transactionID: id, deliver: false)
            let payload = try #require(notification["signedPayload"]?.stringValue)
            let uuid = try #require(notification["notificationUUID"]?.stringValue)
            let answers = concurrently(20) { _ in (try? store.deliver(payload))?.status ?? 0 }
            #expect(answers.allSatisfy { $0 == 200 }, "\(answers)")
            #expect(try stack.db.ledgerCount(paymentID: "\(id)-refund") == 1)
            #expect(try stack.db.webhookEventCount(eventID: uuid, gateway: "appstore") == 1)
        }

        @Test("forged notifications get 4xx and write nothing; TEST is answered 200")
        func forgedNotifications() throws {
            let (stack, store) = try Self.connect()
            let (uid, token) = try stack.newUser("as-fnotify")
            let (id, signed) = try store.purchase(uid: uid)
            #expect(try store.redeem(signed, token: token).status == 200)
            let forgeries: [[(String, JSONValue)]] = [
                [("signer", .string("rogueRoot"))], [("signer", .string("rogueIntermediate"))],
                [("signer", .string("noLeafOID"))], [("signer", .string("noIntermediateOID"))],
                [("bundleId", .string("com.other"))], [("environment", .string("Production"))],
                [("tamper", .bool(true))],
            ]
            for extra in forgeries {
                let answer = try store.notify("REFUND", transactionID: id, extra: extra)
                let status = answer["status"]?.int64Value ?? 0
                #expect((400..<500).contains(status), "\(extra): \(answer)")
                let uuid = try #require(answer["notificationUUID"]?.stringValue)
                #expect(try stack.db.webhookEventCount(eventID: uuid, gateway: "appstore") == 0)
            }
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            let test = try store.notify("TEST", transactionID: nil)
            #expect(test["status"]?.int64Value == 200, "\(test)")
        }
    }
}
