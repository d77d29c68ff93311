import Foundation
import PaymentsCore
import Testing

extension Integration {
    /// PayPal reconciliation: `payments-sync reconcile`'s exit code answers for every due session in the database, so
    /// the suite runs on a private stack and starts from an empty database and a reset sandbox.
    @Suite("PayPal reconciliation", .serialized, .privateStack("paypalrecon"))
    struct PayPalReconcileTests {
        @Test(
            "missed webhooks are recovered by payments-sync reconcile: an approved order is captured, a pending capture re-read"
        )
        func reconcileMissed() throws {
            let stack = try PrivateStack.fresh()
            let paypal = PayPalSandboxControl(stack: stack)
            let (uid, _, approved) = try paypal.approvedOrder(amount: 1300, tag: "pp-recon")
            var result = try paypal.reconcile(approved)
            #expect(result.status == 0, "\(result)")
            #expect(try stack.db.ledgerRow(paymentID: paypal.captureID(approved))?.amount == 1300)
            #expect(
                try paypal.captureCalls(approved) == 1
                    && stack.db.session(externalID: approved, gateway: "paypal")?.status == "paid")

            let (pendingUID, token, pending) = try paypal.approvedOrder(
                amount: 1400, tag: "pp-recon-pending", mode: "PENDING")
            #expect(try paypal.capture(pending, token: token).status == 202)
            try paypal.act("complete", pending, deliver: false)
            result = try paypal.reconcile(pending)
            #expect(result.status == 0, "\(result)")
            #expect(try stack.db.ledgerRow(paymentID: paypal.captureID(pending))?.uid == pendingUID)

            let (_, voidToken) = try stack.newUser("pp-recon-void")
            let voided = try paypal.createOrder(token: voidToken, amount: 900)
            try paypal.act("void", voided)
            result = try paypal.reconcile(voided)
            #expect(result.status == 0, "\(result)")
            #expect(try stack.db.session(externalID: voided, gateway: "paypal")?.status == "canceled")
            #expect(try stack.db.ledgerCount(uid: uid) == 1)
        }
    }
}
