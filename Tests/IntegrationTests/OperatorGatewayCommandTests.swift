import Foundation
import MariaDB
import PaymentsCore
import Testing

extension Integration {
    /// `payments-sync refund`, `capture`, `cancel` and `events replay` (issue 11) against the sandbox's gateway APIs:
    /// what the command books and what the gateway's own webhook reports meet on one unique key, so each row
    /// appears once; refusals happen before the gateway is called; every run is in `operator_actions`.
    @Suite("payments-sync refund, capture, cancel and events replay", .serialized)
    struct OperatorGatewayCommandTests {
        /// The `result` of every `operator_actions` row of `action` on `target`, oldest first.
        static func results(_ stack: Stack, _ action: String, target: String) throws -> [String] {
            try stack.db.query(
                "SELECT result, os_user, reason FROM operator_actions WHERE action = ? AND target = ? ORDER BY id",
                [.text(action), .text(target)]
            ).map { row in
                let user = try row.string(1)
                let reason = try row.optionalString(2) ?? ""
                #expect(!user.isEmpty && !reason.isEmpty)
                return try row.string(0)
            }
        }

        /// The gateway's id the command printed first (`refund: re_… succeeded; booked re_…`).
        static func reference(_ result: CommandResult, _ action: String) throws -> String {
            let line = try #require(
                result.output.split(separator: "\n").first { $0.hasPrefix("\(action): ") }, "\(result)")
            return String(try #require(line.dropFirst(action.count + 2).split(separator: " ").first))
        }

        static func refund(_ stack: Stack, _ paymentID: String, amount: Int64?, reason: String, extra: [String] = [])
            throws -> CommandResult
        {
            try stack.paymentsSync(
                ["refund", paymentID, "--reason", reason] + (amount.map { ["--amount", String($0)] } ?? []) + extra)
        }

        @Test(
            "Stripe: partial then full refund through POST /v1/refunds, booked once with the webhooks; a rerun gets the same refund; beyond what is left is refused before Stripe"
        )
        func stripeRefunds() throws {
            let stack = try Stack.connect()
            let (uid, _, intentID) = try stack.paidIntent(amount: 5000, tag: "oprefund")

            let partial = try Self.refund(stack, intentID, amount: 1500, reason: "goodwill")
            #expect(partial.status == 0, "\(partial)")
            let first = try Self.reference(partial, "refund")
            // Booked by the command, or already by Stripe's own webhook that the sandbox sends at once: whichever
            // comes first books it, the other finds it booked.
            #expect(first.hasPrefix("re_") && partial.output.contains("succeeded;"), "\(partial)")
            #expect(partial.output.contains("booked \(first)"), "\(partial)")
            #expect(try stack.db.ledgerRow(paymentID: first)?.amount == -1500)
            // Stripe's own refund.created and charge.refunded reach the webhook too: still one row.
            _ = try stack.waitForDelivery(intentID: intentID, type: "refund.created")
            _ = try stack.waitForDelivery(intentID: intentID, type: "charge.refunded")
            #expect(try stack.db.ledgerCount(paymentID: first) == 1)

            // The same command again: the same Idempotency-Key, Stripe answers the same refund, nothing new.
            let rerun = try Self.refund(stack, intentID, amount: 1500, reason: "goodwill")
            #expect(rerun.status == 0 && rerun.output.contains("already booked \(first)"), "\(rerun)")
            let listed = try stack.sandbox.stripeAPI("/v1/refunds?payment_intent=\(intentID)")
            #expect(listed["data"]?.arrayValue?.count == 1, "\(listed.serialized())")
            let refundAtStripe = try stack.sandbox.stripeAPI("/v1/refunds/\(first)")
            #expect(refundAtStripe.at("metadata.operator_reason")?.stringValue == "goodwill")

            // Stripe refunds but its answer is lost: the command fails, Stripe's webhook books the refund first, and
            // the same command run again gets that refund back under the same key and books nothing more.
            try stack.sandbox.failStripe(endpoint: "create-refund", times: 1, after: true)
            let lost = try Self.refund(stack, intentID, amount: 500, reason: "answer lost")
            #expect(lost.status == 1 && lost.error.contains("failed"), "\(lost)")
            let refunds = try stack.sandbox.stripeAPI("/v1/refunds?payment_intent=\(intentID)")["data"]?.arrayValue
            let lostID = try #require(refunds?.compactMap { $0["id"]?.stringValue }.first { $0 != first })
            #expect(try stack.waitForRow(lostID).amount == -500)
            let retried = try Self.refund(stack, intentID, amount: 500, reason: "answer lost")
            #expect(retried.status == 0 && retried.output.contains("already booked \(lostID)"), "\(retried)")
            #expect(try stack.db.ledgerCount(paymentID: lostID) == 1)

            let beyond = try Self.refund(stack, intentID, amount: 3001, reason: "too much")
            #expect(beyond.status == 3, "\(beyond)")
            #expect(beyond.error.contains("3000 of 5000 cents are left"), "\(beyond)")
            #expect(
                try stack.sandbox.stripeAPI("/v1/refunds?payment_intent=\(intentID)")["data"]?.arrayValue?.count == 2)

            let rest = try Self.refund(stack, intentID, amount: nil, reason: "customer left")
            #expect(rest.status == 0, "\(rest)")
            let second = try Self.reference(rest, "refund")
            #expect(second != first)
            #expect(try stack.db.ledgerRow(paymentID: second)?.amount == -3000)
            let nothing = try Self.refund(stack, intentID, amount: nil, reason: "again")
            #expect(nothing.status == 3 && nothing.error.contains("nothing is left to refund"), "\(nothing)")

            let settled = try eventually {
                try stack.sandbox.events(intentID: intentID).allSatisfy {
                    $0["delivery_status"]?.stringValue == "delivered"
                }
            }
            #expect(settled, "the sandbox did not deliver every event of \(intentID)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).sorted() == [-3000, -1500, -500, 5000])
            let audit = try Self.results(stack, "refund", target: intentID)
            #expect(audit.count == 7, "\(audit)")
            #expect(audit.filter { $0.hasPrefix("failed: ") }.count == 1, "\(audit)")
            #expect(audit.first?.hasPrefix("\(first) succeeded;") == true, "\(audit)")
            #expect(audit.filter { $0.hasPrefix("refused: ") }.count == 2, "\(audit)")
        }

        @Test(
            "PayPal: partial and full refund of a capture; PAYMENT.CAPTURE.REFUNDED books nothing more; refused beyond")
        func paypalRefunds() throws {
            let (stack, paypal) = try PayPalSandboxControl.connect()
            let (uid, token, orderID) = try paypal.approvedOrder(amount: 3000, tag: "oprefundpp")
            let captured = try paypal.capture(orderID, token: token)
            #expect(captured.status == 200, "\(captured)")
            let captureID = try paypal.captureID(orderID)
            #expect(try stack.waitForRow(captureID).amount == 3000)

            let partial = try Self.refund(stack, captureID, amount: 1000, reason: "damaged goods")
            #expect(partial.status == 0, "\(partial)")
            let first = try Self.reference(partial, "refund")
            #expect(partial.output.contains("COMPLETED;") && partial.output.contains("booked \(first)"), "\(partial)")
            try paypal.waitForDelivery(orderID, type: "PAYMENT.CAPTURE.REFUNDED")
            #expect(try stack.db.ledgerCount(paymentID: first) == 1)
            #expect(try stack.db.ledgerRow(paymentID: first)?.amount == -1000)
            // The same command again: the same PayPal-Request-Id, PayPal answers the same refund.
            let rerun = try Self.refund(stack, captureID, amount: 1000, reason: "damaged goods")
            #expect(rerun.status == 0 && rerun.output.contains("already booked \(first)"), "\(rerun)")

            let beyond = try Self.refund(stack, captureID, amount: 2001, reason: "too much")
            #expect(beyond.status == 3 && beyond.error.contains("2000 of 3000 cents are left"), "\(beyond)")
            let rest = try Self.refund(stack, captureID, amount: nil, reason: "all of it")
            #expect(rest.status == 0, "\(rest)")
            let second = try Self.reference(rest, "refund")
            #expect(try stack.db.ledgerRow(paymentID: second)?.amount == -2000)
            #expect((try paypal.order(orderID)["refunds"]?.arrayValue?.count) == 2)
            #expect(try eventually { (try paypal.events(orderID, type: "PAYMENT.CAPTURE.REFUNDED")).count == 2 })
            try paypal.waitForDelivery(orderID, type: "PAYMENT.CAPTURE.REFUNDED")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).sorted() == [-2000, -1000, 3000])
        }

        @Test(
            "Cryptomus: whole-invoice refund to --address; refund_paid books <uuid>-refund once; partial refused; replay of it changes nothing"
        )
        func cryptomusRefund() throws {
            let stack = try Stack.connect()
            let cryptomus = CryptomusStack(stack: stack)
            let (uid, token) = try stack.newUser("oprefundcm")
            let uuid = try cryptomus.create(token: token, amount: 2500)
            try cryptomus.status(uuid, "paid")
            #expect(try stack.waitForRow(uuid).amount == 2500)

            let partial = try Self.refund(stack, uuid, amount: 1000, reason: "half", extra: ["--address", "TXyz"])
            #expect(partial.status == 3 && partial.error.contains("whole invoices only"), "\(partial)")
            let noAddress = try Self.refund(stack, uuid, amount: nil, reason: "all")
            #expect(noAddress.status == 3 && noAddress.error.contains("--address"), "\(noAddress)")
            #expect(try cryptomus.invoice(uuid)["status"]?.stringValue == "paid")

            let refund = try Self.refund(stack, uuid, amount: nil, reason: "all", extra: ["--address", "TXyz"])
            #expect(refund.status == 0 && refund.output.contains("\(uuid)-refund refund_process"), "\(refund)")
            try cryptomus.waitForDelivery(uuid, status: "refund_process")
            #expect(try stack.db.ledgerRow(paymentID: "\(uuid)-refund") == nil)
            try cryptomus.status(uuid, "refund_paid")
            #expect(try stack.waitForRow("\(uuid)-refund").amount == -2500)

            let replay = try stack.paymentsSync(["events", "replay", "\(uuid):refund_paid", "--reason", "check"])
            #expect(replay.status == 0 && replay.output.contains("nothing changed"), "\(replay)")
            #expect(try stack.db.ledgerRows(uid: uid).map(\.amount).sorted() == [-2500, 2500])
            let again = try Self.refund(stack, uuid, amount: nil, reason: "all", extra: ["--address", "TXyz"])
            #expect(again.status == 3 && again.error.contains("nothing is left"), "\(again)")
        }

        @Test("refund of a gateway without a refund API here, or of an unknown payment: clear refusal, nothing sent")
        func unsupportedAndUnknown() throws {
            let stack = try Stack.connect()
            let paymentID = "itest-op-\(TestIDs.random(12))"
            try stack.db.execute(
                """
                INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, sync_state, \
                next_sync_at, synced_at) VALUES (?, ?, 'appstore', 999, 1, UTC_TIMESTAMP(6), 'synced', \
                UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """, [.text(paymentID), .text(TestIDs.uid("opapp"))])
            let unsupported = try Self.refund(stack, paymentID, amount: nil, reason: "store refund")
            #expect(unsupported.status == 4, "\(unsupported)")
            #expect(unsupported.error.contains("refund is not supported for appstore"), "\(unsupported)")
            let unknown = try Self.refund(stack, "pi_itest_none_\(TestIDs.random(10))", amount: nil, reason: "x")
            #expect(unknown.status == 3 && unknown.error.contains("no ledger row"), "\(unknown)")
            #expect(try stack.paymentsSync(["refund", paymentID, "--reason", " "]).status != 0)
            #expect(
                try Self.results(stack, "refund", target: paymentID) == [
                    "refused: refund is not supported for appstore"
                ])
        }

        @Test("capture and cancel of review-held PaymentIntents: credited once / canceled; refused when not in review")
        func captureAndCancel() throws {
            let stack = try Stack.connect()
            let (uid, token) = try stack.newUser("opreview")
            let held = try stack.createIntent(token: token, amount: 4100)
            try stack.sandbox.pay(held, review: true)
            #expect(try eventually { try stack.db.session(externalID: held)?.status == "review" })

            let captured = try stack.paymentsSync(["capture", held, "--reason", "called the customer"])
            #expect(captured.status == 0 && captured.output.contains("booked \(held)"), "\(captured)")
            #expect(try stack.db.ledgerRow(paymentID: held)?.amount == 4100)
            #expect(try stack.db.session(externalID: held)?.status == "paid")
            _ = try stack.waitForDelivery(intentID: held, type: "payment_intent.succeeded")
            #expect(try stack.db.ledgerCount(paymentID: held) == 1)
            #expect(try stack.sandbox.captureCount(held) == 1)
            let notHeld = try stack.paymentsSync(["capture", held, "--reason", "again"])
            #expect(notHeld.status == 3 && notHeld.error.contains("is paid, not held for review"), "\(notHeld)")

            let rejected = try stack.createIntent(token: token, amount: 4200)
            try stack.sandbox.pay(rejected, review: true)
            #expect(try eventually { try stack.db.session(externalID: rejected)?.status == "review" })
            let canceled = try stack.paymentsSync(["cancel", rejected, "--reason", "stolen card"])
            #expect(canceled.status == 0 && canceled.output.contains("\(rejected) canceled"), "\(canceled)")
            #expect(try stack.db.session(externalID: rejected)?.status == "canceled")
            #expect(try stack.sandbox.intent(rejected)["status"]?.stringValue == "canceled")
            _ = try stack.waitForDelivery(intentID: rejected, type: "payment_intent.canceled")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
            #expect(try stack.paymentsSync(["cancel", rejected, "--reason", "again"]).status == 3)
            #expect(try Self.results(stack, "capture", target: held).count == 2)
            #expect(
                try Self.results(stack, "cancel", target: rejected).map { $0.hasPrefix("refused") } == [false, true])
        }

        @Test(
            "events replay: an applied event changes nothing; an event processed wrongly is applied once, its row takes the new outcome"
        )
        func replay() throws {
            let stack = try Stack.connect()
            let (uid, token, intentID) = try stack.paidIntent(amount: 1800, tag: "opreplay")
            let applied = try #require(
                try stack.waitForDelivery(intentID: intentID, type: "payment_intent.succeeded").first)
            let same = try stack.paymentsSync(["events", "replay", applied, "--reason", "audit"])
            #expect(same.status == 0 && same.output.contains("nothing changed"), "\(same)")
            #expect(same.output.contains("already booked \(intentID)"), "\(same)")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)

            // A delivery stored as processed while a bug ignored it: the payment was never credited.
            let missed = try stack.createIntent(token: token, amount: 2200)
            try stack.sandbox.pay(missed, deliver: false, status: "succeeded")
            let record = try #require(
                try stack.sandbox.events(intentID: missed).first {
                    Sandbox.event(ofRecord: $0)["type"]?.stringValue == "payment_intent.succeeded"
                })
            let event = Sandbox.event(ofRecord: record)
            let eventID = try #require(event["id"]?.stringValue)
            try stack.db.execute(
                """
                INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, \
                processed_at, outcome) VALUES ('stripe', ?, 'payment_intent.succeeded', ?, '{}', \
                UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 'ignored')
                """, [.text(eventID), .bytes(Array(event.serialized().utf8))])
            #expect(try stack.db.ledgerRow(paymentID: missed) == nil)

            let fixed = try stack.paymentsSync([
                "events", "replay", eventID, "--gateway", "stripe", "--reason", "bug 42",
            ])
            #expect(fixed.status == 0, "\(fixed)")
            #expect(fixed.output.contains("outcome ignored -> credited; booked \(missed)"), "\(fixed)")
            #expect(try stack.db.ledgerRow(paymentID: missed)?.amount == 2200)
            #expect(try stack.db.session(externalID: missed)?.status == "paid")
            let outcome = try stack.db.query(
                "SELECT outcome FROM webhook_events WHERE gateway = 'stripe' AND event_id = ?", [.text(eventID)])
            #expect(try outcome.first?.string(0) == "credited")

            let twice = try stack.paymentsSync(["events", "replay", eventID, "--reason", "bug 42"])
            #expect(twice.status == 0 && twice.output.contains("nothing changed"), "\(twice)")
            #expect(try stack.db.ledgerCount(paymentID: missed) == 1)
            let unknown = try stack.paymentsSync(["events", "replay", "evt_itest_none", "--reason", "x"])
            #expect(unknown.status == 3 && unknown.error.contains("no stored webhook event"), "\(unknown)")
            let audit = try Self.results(stack, "events-replay", target: eventID)
            #expect(audit.count == 2 && audit[0].contains("ignored -> credited"), "\(audit)")
        }

        @Test("events replay of a delivery that handed money to an operator adds no second operator item")
        func replayKeepsOneOperatorItem() throws {
            let stack = try Stack.connect()
            let cryptomus = CryptomusStack(stack: stack)
            let (uid, token) = try stack.newUser("opreplayitem")
            let uuid = try cryptomus.create(token: token, amount: 3000)
            try cryptomus.status(uuid, "wrong_amount")
            try cryptomus.waitForDelivery(uuid, status: "wrong_amount")
            let count = { try stack.db.count("SELECT COUNT(*) FROM operator_items WHERE reference = ?", [.text(uuid)]) }
            #expect(try count() == 1)
            let replay = try stack.paymentsSync(["events", "replay", "\(uuid):wrong_amount", "--reason", "audit"])
            #expect(replay.status == 0 && replay.output.contains("nothing changed"), "\(replay)")
            #expect(try count() == 1 && (try stack.db.ledgerCount(uid: uid)) == 0)
        }
    }
}
