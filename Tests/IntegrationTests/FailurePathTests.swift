import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// Failure paths of DESIGN §1: a refund or dispute arriving before its payment (1.5), a gateway failing at session
    /// creation (1.1 b) and the session's link failing to store after the gateway call (1.1 c). On a private stack:
    /// the last one reads `payments-sync reconcile`'s exit code, which answers for every due session.
    @Suite("Failure paths: out-of-order events, session creation", .serialized, .privateStack("failpaths"))
    struct FailurePathTests {
        /// The event the sandbox emitted for `intentID` with `type` but did not deliver (`deliver: false`).
        static func heldEvent(_ stack: Stack, intentID: String, type: String) throws -> (id: String, body: [UInt8]) {
            let records = try stack.sandbox.events(intentID: intentID).filter {
                Sandbox.event(ofRecord: $0)["type"]?.stringValue == type
            }
            try #require(records.count == 1, "\(records.count) \(type) events for \(intentID)")
            let event = Sandbox.event(ofRecord: records[0])
            let id = try #require(event["id"]?.stringValue)
            return (id, Array(event.serialized().utf8))
        }

        /// Delivers a held event as Stripe would (signed with the webhook secret).
        static func deliver(_ stack: Stack, _ event: (id: String, body: [UInt8])) throws -> HTTPResult {
            try WebhookSigner.deliverSigned(stack.api, body: event.body)
        }

        /// A user whose $`amount` PaymentIntent Stripe has captured while the ledger has no row for it yet (its
        /// capture's ledger commit failed, or its webhook is late); the `payment_intent.succeeded` event is held.
        static func capturedWithoutRow(_ stack: Stack, amount: Int64, tag: String) throws
            -> (uid: String, intentID: String, payment: (id: String, body: [UInt8]))
        {
            let (uid, token) = try stack.newUser(tag)
            let intentID = try stack.createIntent(token: token, amount: amount)
            try stack.sandbox.pay(intentID, deliver: false, status: "succeeded")
            let payment = try heldEvent(stack, intentID: intentID, type: "payment_intent.succeeded")
            return (uid, intentID, payment)
        }

        /// Expects the 503 that makes Stripe retry, and that nothing at all was recorded for the delivery.
        static func expectRetryLater(_ stack: Stack, _ event: (id: String, body: [UInt8]), uid: String) throws {
            let answer = try deliver(stack, event)
            #expect(answer.status == 503, "\(answer)")
            #expect(answer.errorName == "ServiceUnavailableException", "\(answer)")
            #expect(try stack.db.webhookEventCount(eventID: event.id) == 0, "\(event.id) was recorded")
            #expect(try stack.db.ledgerCount(uid: uid) == 0)
            #expect(try stack.db.count("SELECT COUNT(*) FROM operator_items") == 0)
        }

        /// Expects a 200 `{"received":true}`.
        static func expectReceived(_ stack: Stack, _ event: (id: String, body: [UInt8])) throws {
            let answer = try deliver(stack, event)
            #expect(answer.status == 200 && answer.text == #"{"received":true}"#, "\(event.id): \(answer)")
        }

        @Test("a refund arriving before its payment row: 503, nothing recorded; after the payment it is booked once")
        func refundBeforePayment() throws {
            let stack = try PrivateStack.fresh()
            let (uid, intentID, payment) = try Self.capturedWithoutRow(stack, amount: 3000, tag: "refundfirst")
            let refundID = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.refund(intentID, amount: 1200, deliver: false), prefix: "re_")
            let created = try Self.heldEvent(stack, intentID: intentID, type: "refund.created")
            let charge = try Self.heldEvent(stack, intentID: intentID, type: "charge.refunded")

            try Self.expectRetryLater(stack, created, uid: uid)
            try Self.expectRetryLater(stack, charge, uid: uid)

            try Self.expectReceived(stack, payment)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [3000])
            // Stripe's retries, each event twice: the refund is booked once.
            for event in [created, charge, created, charge] { try Self.expectReceived(stack, event) }
            let rows = try stack.db.ledgerRows(uid: uid)
            #expect(rows.map(\.paymentID) == [intentID, refundID])
            #expect(rows.map(\.amount) == [3000, -1200])
            #expect(rows.last?.refundOf == rows.first?.id)
            #expect(try stack.db.webhookEventCount(eventID: created.id) == 1)
            #expect(try stack.db.webhookEventCount(eventID: charge.id) == 1)
        }

        @Test(
            "a dispute arriving before its payment, or its reinstatement before its withdrawal: 503; then each booked once"
        )
        func disputeBeforePayment() throws {
            let stack = try PrivateStack.fresh()
            let (uid, intentID, payment) = try Self.capturedWithoutRow(stack, amount: 2600, tag: "disputefirst")
            let disputeID = try ReviewRefundDisputeTests.objectID(
                try stack.sandbox.dispute(intentID, amount: 2600, deliver: false), prefix: "du_")
            try stack.sandbox.reinstate(disputeID, deliver: false)
            let withdrawn = try Self.heldEvent(stack, intentID: intentID, type: "charge.dispute.funds_withdrawn")
            let reinstated = try Self.heldEvent(stack, intentID: intentID, type: "charge.dispute.funds_reinstated")

            try Self.expectRetryLater(stack, withdrawn, uid: uid)
            try Self.expectRetryLater(stack, reinstated, uid: uid)
            try Self.expectReceived(stack, payment)
            // Still out of order: the money was never taken back, so it is not given back yet either.
            let early = try Self.deliver(stack, reinstated)
            #expect(early.status == 503 && early.errorName == "ServiceUnavailableException", "\(early)")
            #expect(try stack.db.webhookEventCount(eventID: reinstated.id) == 0)
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount) == [2600])

            for event in [withdrawn, reinstated, withdrawn, reinstated] { try Self.expectReceived(stack, event) }
            let rows = try stack.db.ledgerRows(uid: uid)
            #expect(rows.map(\.paymentID) == [intentID, disputeID, "\(disputeID)-reinstated"])
            #expect(rows.map(\.amount) == [2600, -2600, 2600])
            #expect(try stack.db.webhookEventCount(eventID: withdrawn.id) == 1)
            #expect(try stack.db.webhookEventCount(eventID: reinstated.id) == 1)
        }

        @Test(
            "Stripe failing at session creation (5xx or no answer): 502 GatewayUnavailableException, session failed, nothing else",
            arguments: [500, 0])
        func gatewayFailureAtCreation(status: Int) throws {
            let stack = try PrivateStack.fresh()
            let (uid, token) = try stack.newUser("createfail")
            // Twice: a pooled connection dropped before any answer is replaced once (the idempotency key makes that
            // safe), so one dropped connection alone may not reach the client.
            try stack.sandbox.failStripe(endpoint: "create", times: 2, status: status)
            defer { restoring("Stripe create") { try stack.sandbox.failStripe(endpoint: "create", times: 0) } }

            let answer = try stack.api.createIntent(amount: 1500, token: token)
            try stack.sandbox.failStripe(endpoint: "create", times: 0)
            #expect(answer.status == 502, "\(answer)")
            #expect(answer.errorName == "GatewayUnavailableException", "\(answer)")
            let sessions = try stack.db.sessions(uid: uid)
            #expect(sessions.count == 1)
            #expect(sessions.first?.status == "failed")
            #expect(sessions.first?.externalID == nil)
            #expect(sessions.first?.amount == 1500)
            #expect(try stack.sandbox.intents().isEmpty, "an intent was created")
            let snapshot = try stack.db.snapshot()
            #expect(snapshot["tn_payments"]?.isEmpty == true)
            #expect(snapshot["webhook_events"]?.isEmpty == true)
            #expect(snapshot["operator_items"]?.isEmpty == true)

            // The client's retry is a new session, which succeeds.
            let retry = try stack.api.createIntent(amount: 1500, token: token)
            #expect(retry.status == 200, "\(retry)")
            let after = try stack.db.sessions(uid: uid)
            #expect(after.map(\.status) == ["failed", "pending"])
            #expect(after.last?.externalID == retry.json?["id"]?.stringValue)
        }

        @Test(
            "storing the session's link fails after Stripe created the intent: 500, session left creating; reconcile links the same intent"
        )
        func storeFailureAfterGatewayCall() throws {
            let stack = try PrivateStack.fresh()
            let (uid, token) = try stack.newUser("storefail")
            // The database refuses the step (c) update of this user's sessions only.
            try stack.db.execute("DROP TRIGGER IF EXISTS itest_fail_link")
            try stack.db.with { connection in
                try connection.executeText(
                    """
                    CREATE TRIGGER itest_fail_link BEFORE UPDATE ON payment_sessions FOR EACH ROW \
                    IF NEW.uid = '\(uid)' AND NEW.external_id IS NOT NULL THEN \
                    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'itest: the link cannot be stored'; END IF
                    """)
            }
            defer {
                restoring("the failing trigger") { try stack.db.execute("DROP TRIGGER IF EXISTS itest_fail_link") }
            }

            let answer = try stack.api.createIntent(amount: 1700, token: token)
            #expect(answer.status == 500, "\(answer)")
            #expect(answer.errorName == "InternalServerErrorException", "\(answer)")
            let session = try #require(try stack.db.sessions(uid: uid).first)
            #expect(try stack.db.sessions(uid: uid).count == 1)
            #expect(session.status == "creating" && session.externalID == nil, "\(session)")
            let created = try stack.sandbox.intents().filter {
                $0.at("metadata.session_id")?.stringValue == session.publicID
            }
            #expect(created.count == 1, "Stripe holds \(created.count) intents for the session")
            let intentID = try #require(created.first?["id"]?.stringValue)

            try stack.db.execute("DROP TRIGGER itest_fail_link")
            try stack.db.makeSessionDue(sessionID: session.id)
            let reconcile = try stack.paymentsSync(["reconcile"])
            #expect(reconcile.status == 0, "\(reconcile)")
            #expect(reconcile.output.contains("reconcile: examined=1 credited=0 closed=0 unchanged=1 failed=0"))
            let linked = try #require(try stack.db.sessions(uid: uid).first)
            #expect(linked.status == "pending" && linked.externalID == intentID, "\(linked)")
            #expect(try stack.sandbox.intents().count == 1, "reconcile created a second intent")

            // The intent is the session's: paying it credits the user once.
            try stack.sandbox.pay(intentID)
            #expect(try stack.waitForRow(intentID).amount == 1700)
            #expect(try eventually { try stack.db.session(externalID: intentID)?.status == "paid" })
            #expect(try stack.db.ledgerRows(uid: uid).map(\.paymentID) == [intentID])
            #expect(try stack.sandbox.captureCount(intentID) == 1)
        }
    }
}
