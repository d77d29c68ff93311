import Logging
import PaymentsCore

/// Emulates operator-configured hosted-checkout gateways (DESIGN §2, §10) on their own port: the checkout page that
/// `GW_<ID>_CHECKOUT_URL` points at records each session, and the control endpoints (`/control/custom/<id>/…`) deliver
/// notifications built and signed from the same `GW_<ID>_*` settings as the responder reads, with forgeries on request.
final class CustomGatewayEmulator: SandboxService {
    /// A session seen on a checkout page.
    struct Checkout: Sendable {
        let sessionID: String
        let amount: Int64?
        let successURL: String?
        let cancelURL: String?
        /// The gateway's payment id for the session, fixed at checkout so every event of the session agrees.
        let paymentID: String

        var json: JSONValue {
            .object([
                ("session_id", .string(sessionID)), ("amount", amount.map(JSONValue.int) ?? .null),
                ("success_url", .optional(successURL)), ("cancel_url", .optional(cancelURL)),
                ("payment_id", .string(paymentID)),
            ])
        }
    }

    /// What each gateway has seen and sent.
    struct Store: Sendable {
        var checkouts: [String: [String: Checkout]] = [:]
        var events: [String: [JSONValue]] = [:]
    }

    let gateways: [String: CustomSandboxGateway]
    /// `SANDBOX_WEBHOOK_TARGET`; deliveries go to `<target>/<id>-handleWebhookEvents`.
    let webhookTarget: String?
    let state = Locked(Store())
    let logger: Logger

    init(gateways: [CustomSandboxGateway], webhookTarget: String?, logger: Logger) {
        self.gateways = Dictionary(gateways.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.webhookTarget = webhookTarget
        self.logger = logger
    }

    /// `GET /checkout/<id>?session_id=…&amount=…&success_url=…&cancel_url=…`: the hosted page; it records the session
    /// and tells the operator how to pay it.
    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.segments
        guard request.method == "GET", segments.count == 2, segments[0] == "checkout" else {
            return .text(404, "not found")
        }
        guard let gateway = gateways[segments[1]] else { return .text(404, "no gateway \(segments[1])") }
        guard let sessionID = request.queryValue("session_id"), !sessionID.isEmpty else {
            return .text(400, "session_id is required")
        }
        let checkout = recordCheckout(
            gateway: gateway.id, sessionID: sessionID, amount: request.queryValue("amount").flatMap { Int64($0) },
            successURL: request.queryValue("success_url"), cancelURL: request.queryValue("cancel_url"))
        let amount = checkout.amount.map { Money(cents: $0).description } ?? "an unknown amount"
        return .text(
            200,
            "\(gateway.id) sandbox checkout: session \(sessionID), \(amount).\n"
                + "Pay it: POST /control/custom/\(gateway.id)/pay {\"session_id\":\"\(sessionID)\"} on the control port.\n"
        )
    }

    /// Records (or returns the earlier record of) a session's checkout.
    func recordCheckout(gateway: String, sessionID: String, amount: Int64?, successURL: String?, cancelURL: String?)
        -> Checkout
    {
        state.withLock { store in
            if let existing = store.checkouts[gateway]?[sessionID], amount == nil || existing.amount == amount {
                return existing
            }
            let checkout = Checkout(
                sessionID: sessionID, amount: amount, successURL: successURL, cancelURL: cancelURL,
                paymentID: store.checkouts[gateway]?[sessionID]?.paymentID ?? RandomID.make("pay_"))
            store.checkouts[gateway, default: [:]][sessionID] = checkout
            return checkout
        }
    }
}
