import Logging
import PaymentsCore

/// The one path from a PayPal order or capture to the ledger, shared by `paypal-captureOrder`, the webhook and
/// reconciliation, so that capture and credit happen the same way — and only once — whoever gets there first.
struct PayPalSettlement: Sendable {
    /// Where an order or capture ended up after settling.
    enum Outcome: Equatable, Sendable {
        /// Credited now or earlier.
        case credited
        /// The capture is PENDING (or the order not captured yet): nothing written.
        case pending
        /// The capture was DECLINED / FAILED, or PayPal refused it (`INSTRUMENT_DECLINED`).
        case declined
        /// `ORDER_NOT_APPROVED`: the buyer has not approved the order.
        case notApproved
        /// `ORDER_EXPIRED`, or an order PayPal no longer knows.
        case expired
        case voided
        /// Captured, but not in USD or not the session's amount: stored for an operator, not credited.
        case mismatch
        /// The object does not name this session.
        case notOurs
    }

    static let ledgerID = "paypal"
    let api: PayPalAPI

    /// The session a `custom_id` names (`<public_id>[:<uid>]`), or nil when it is not one of ours.
    func session(forCustomID customID: String?, ledger: any Ledger) throws -> PaymentSession? {
        guard let publicID = PayPalOrder.publicID(fromCustomID: customID),
            let session = try ledger.session(publicID: publicID),
            session.gateway == PayPalSettlement.ledgerID
        else { return nil }
        if let uid = PayPalOrder.uid(fromCustomID: customID), uid != session.uid { return nil }
        return session
    }

    /// Capture attempts per call: the first, and two retries after lost or 5xx answers.
    static let captureAttempts = 3

    /// Re-reads the order and captures it only from APPROVED (DESIGN §1.3), then settles what PayPal reports. After a
    /// lost or 5xx capture answer the order is re-read: captured meanwhile, it is settled as it is; still APPROVED
    /// and uncaptured, the capture is retried under the next request id suffix, up to `captureAttempts` in all, and
    /// then the failure is answered (502).
    func captureAndSettle(
        orderID: String, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger,
        logger: Logger
    ) throws -> (Outcome, LedgerOutcome) {
        var order: PayPalOrder
        do {
            order = try api.order(orderID)
        } catch let failure as PayPalAPI.Failure where failure.status == 404 {
            return (.expired, LedgerOutcome())
        }
        var attempt = 1
        while order.status == "APPROVED" && order.captures.isEmpty {
            do {
                order = try api.captureOrder(orderID, publicID: session.publicID, attempt: attempt)
            } catch let failure as PayPalAPI.Failure where failure.status == 422 {
                switch failure.issue {
                case "ORDER_ALREADY_CAPTURED", "ORDER_ALREADY_COMPLETED":
                    order = try api.order(orderID)
                    if order.status == "APPROVED" && order.captures.isEmpty { throw failure }
                case "INSTRUMENT_DECLINED", "TRANSACTION_REFUSED":
                    return (.declined, LedgerOutcome())
                case "ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED":
                    return (.notApproved, LedgerOutcome())
                case "ORDER_EXPIRED":
                    return (.expired, LedgerOutcome())
                default:
                    throw failure
                }
            } catch let error as APIError where error.code == .gatewayUnavailable {
                logger.warning(
                    "paypal capture answer lost, re-reading",
                    metadata: ["paypal.order": "\(orderID)", "paypal.attempt": "\(attempt)"])
                order = try api.order(orderID)
                attempt += 1
                if attempt > Self.captureAttempts && order.status == "APPROVED" && order.captures.isEmpty {
                    throw error
                }
            }
        }
        return try settle(order, session: session, event: event, ledger: ledger)
    }

    /// Settles an order as read: its capture if it has one, else its status.
    func settle(_ order: PayPalOrder, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger) throws
        -> (Outcome, LedgerOutcome)
    {
        guard PayPalOrder.publicID(fromCustomID: order.customID) == session.publicID,
            session.externalID == nil || session.externalID == order.id
        else { return (.notOurs, try record(event, outcome: "not-ours", ledger: ledger)) }
        let captures = order.captures
        if var capture = captures.first(where: { $0.status == "COMPLETED" }) ?? captures.first(where: {
            $0.status == "PENDING"
        })
            ?? captures.first
        {
            if capture.status == "PENDING" { capture = try api.capture(capture.id) }
            return try settle(capture, session: session, event: event, ledger: ledger)
        }
        switch order.status {
        case "VOIDED":
            return (.voided, try record(event, outcome: "voided", ledger: ledger, session: session, status: .canceled))
        case "CREATED", "SAVED", "PAYER_ACTION_REQUIRED":
            return (.notApproved, try record(event, outcome: "not-approved", ledger: ledger))
        default: return (.pending, try record(event, outcome: "not-captured", ledger: ledger))
        }
    }

    /// Settles one capture as read from PayPal: only a COMPLETED capture in USD of the session's amount is credited.
    func settle(_ capture: PayPalCapture, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger)
        throws
        -> (Outcome, LedgerOutcome)
    {
        switch capture.status {
        case "COMPLETED":
            return try credit(capture, session: session, event: event, ledger: ledger)
        case "PENDING":
            return (.pending, try record(event, outcome: "pending", ledger: ledger))
        case "DECLINED", "FAILED":
            return (.declined, try record(event, outcome: "declined", ledger: ledger))
        case "REFUNDED", "PARTIALLY_REFUNDED":
            if try ledger.entry(paymentID: capture.id) != nil {
                return (.credited, try record(event, outcome: "already-credited", ledger: ledger))
            }
            let item = OperatorItem(
                gateway: PayPalSettlement.ledgerID, reference: capture.id, reason: "refunded-before-credit",
                payload: "status=\(capture.status) session=\(session.publicID)")
            return (
                .mismatch,
                try ledger.apply(
                    LedgerEffect(event: event?.withOutcome("refunded-before-credit"), operatorItems: [item]))
            )
        default:
            return (.pending, try record(event, outcome: "not-final", ledger: ledger))
        }
    }

    /// Credits a COMPLETED capture once under its capture id; another currency or amount goes to an operator.
    func credit(_ capture: PayPalCapture, session: PaymentSession, event: WebhookEventRecord?, ledger: any Ledger)
        throws
        -> (Outcome, LedgerOutcome)
    {
        guard PayPalOrder.publicID(fromCustomID: capture.customID) == session.publicID,
            capture.orderID == nil || session.externalID == nil || capture.orderID == session.externalID
        else { return (.notOurs, try record(event, outcome: "not-ours", ledger: ledger)) }
        let currency = capture.amount?.currency ?? ""
        let cents = capture.amount?.cents
        guard currency == "USD", cents == session.amount.cents else {
            let item = OperatorItem(
                gateway: PayPalSettlement.ledgerID, reference: capture.id,
                reason: currency == "USD" ? "amount-mismatch" : "non-usd-payment",
                payload:
                    "currency=\(currency) value=\(capture.amount?.value ?? "") expected=\(session.amount.decimalString) session=\(session.publicID)"
            )
            return (
                .mismatch, try ledger.apply(LedgerEffect(event: event?.withOutcome("mismatch"), operatorItems: [item]))
            )
        }
        let entry = LedgerEntry(
            paymentID: capture.id, uid: session.uid, gateway: PayPalSettlement.ledgerID, amount: session.amount,
            sessionID: session.id)
        let effect = LedgerEffect(
            event: event?.withOutcome("credited"), entries: [entry], sessionUpdates: [(session.id, .paid)])
        return (.credited, try ledger.apply(effect))
    }

    /// Records an event (if any) with an optional status change of an open session, and no money.
    func record(
        _ event: WebhookEventRecord?, outcome: String, ledger: any Ledger, session: PaymentSession? = nil,
        status: SessionStatus? = nil
    ) throws -> LedgerOutcome {
        var effect = LedgerEffect(event: event?.withOutcome(outcome))
        if let session, let status, session.status.isOpen { effect.sessionUpdates = [(session.id, status)] }
        if effect.event == nil && effect.sessionUpdates.isEmpty { return LedgerOutcome() }
        return try ledger.apply(effect)
    }
}
