import Logging
import PaymentsCore

/// What a PayPal order or capture says, as settlement facts: shared by `paypal-captureOrder`, the webhook and
/// reconciliation, so capture happens the same way whoever gets there first. Capturing from APPROVED is PayPal's
/// mechanics; what gets booked is the engine's.
struct PayPalOrders: Sendable {
    /// How a capture attempt ended, in the terms `paypal-captureOrder` and reconciliation answer with.
    enum CaptureAnswer: Sendable, Equatable {
        /// Credited now or earlier.
        case credited
        /// The capture is PENDING, or the order is not captured yet.
        case pending
        /// The capture was DECLINED / FAILED, or PayPal refused it (`INSTRUMENT_DECLINED`).
        case declined
        /// `ORDER_NOT_APPROVED`: the buyer has not approved the order.
        case notApproved
        /// `ORDER_EXPIRED`, or an order PayPal no longer knows.
        case expired
        case voided
        /// Captured, but not as the session expects: handed to an operator, not credited.
        case referred
        /// The order or capture does not name this session.
        case notOurs

        /// The answer for what the engine decided.
        init(_ result: SettlementResult) {
            switch result.verdict {
            case .credited: self = .credited
            case .open, .review: self = .pending
            case .closed(.failed): self = .declined
            case .closed(.expired): self = .expired
            case .closed: self = .voided
            case .operator, .refunded: self = .referred
            case .ignored, .duplicate: self = .notOurs
            }
        }
    }

    let api: PayPalAPI
    /// Capture attempts per call: the first, and two retries after lost or 5xx answers.
    static let captureAttempts = 3
    /// Order states in which the buyer has not approved the payment yet.
    static let awaitingBuyer: Set<String> = ["CREATED", "SAVED", "PAYER_ACTION_REQUIRED"]

    /// The session a `custom_id` names (`<public_id>[:<uid>]`), or nil when it is not one of ours.
    func session(forCustomID customID: String?, ledger: any Ledger) throws -> PaymentSession? {
        guard let publicID = PayPalOrder.publicID(fromCustomID: customID),
            let session = try ledger.session(publicID: publicID),
            session.gateway == PayPalGateway.ledgerID
        else { return nil }
        if let uid = PayPalOrder.uid(fromCustomID: customID), uid != session.uid { return nil }
        return session
    }

    /// Re-reads the order and captures it only from APPROVED (DESIGN §1.3), then settles what PayPal reports. After a
    /// lost or 5xx capture answer the order is re-read: captured meanwhile, it is settled as it is; still APPROVED
    /// and uncaptured, the capture is retried under the next request id suffix, up to `captureAttempts` in all, and
    /// then the failure is answered (502).
    func captureAndSettle(orderID: String, session: PaymentSession, settlement: Settlement, logger: Logger) throws
        -> CaptureAnswer
    {
        var order: PayPalOrder
        do {
            order = try api.order(orderID)
        } catch let failure as PayPalAPI.Failure where failure.status == 404 {
            return .expired
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
                    return .declined
                case "ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED":
                    return .notApproved
                case "ORDER_EXPIRED":
                    return .expired
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
        // Nothing is written for an order that is not this session's or still waits for the buyer.
        guard isOurs(order, session: session) else { return .notOurs }
        if order.captures.isEmpty && Self.awaitingBuyer.contains(order.status) { return .notApproved }
        return CaptureAnswer(try settlement.settle(try facts(order, session: session)))
    }

    func isOurs(_ order: PayPalOrder, session: PaymentSession) -> Bool {
        PayPalOrder.publicID(fromCustomID: order.customID) == session.publicID
            && (session.externalID == nil || session.externalID == order.id)
    }

    /// An order as read: its capture if it has one (a PENDING one re-read), else its status.
    func facts(_ order: PayPalOrder, session: PaymentSession) throws -> [SettlementFact] {
        let captures = order.captures
        if var capture = captures.first(where: { $0.status == "COMPLETED" }) ?? captures.first(where: {
            $0.status == "PENDING"
        })
            ?? captures.first
        {
            if capture.status == "PENDING" { capture = try api.capture(capture.id) }
            return [fact(capture, session: session)]
        }
        if order.status == "VOIDED" { return [.sessionClosed(session, .canceled, reason: "voided")] }
        return [.open(reason: "not-captured", session: nil)]
    }

    /// One capture as read from PayPal: COMPLETED is paid (USD, exactly the session's amount, or an operator item).
    func fact(_ capture: PayPalCapture, session: PaymentSession) -> SettlementFact {
        switch capture.status {
        case "COMPLETED":
            guard PayPalOrder.publicID(fromCustomID: capture.customID) == session.publicID,
                capture.orderID == nil || session.externalID == nil || capture.orderID == session.externalID
            else { return .ignored(reason: "not-ours") }
            return .paid(payment(capture, session: session, refundedAtGateway: false))
        case "REFUNDED", "PARTIALLY_REFUNDED":
            return .paid(payment(capture, session: session, refundedAtGateway: true))
        case "PENDING":
            return .open(reason: "pending", session: nil)
        case "DECLINED", "FAILED":
            return .sessionClosed(session, .failed, reason: "declined")
        default:
            return .open(reason: "not-final", session: nil)
        }
    }

    private func payment(_ capture: PayPalCapture, session: PaymentSession, refundedAtGateway: Bool)
        -> SettlementFact.Payment
    {
        let amount = ReportedMoney(
            cents: capture.amount?.cents, currency: capture.amount?.currency ?? "", text: capture.amount?.value ?? "")
        return SettlementFact.Payment(
            id: capture.id, payer: .session(session), amount: amount, rule: .exact,
            refundedAtGateway: refundedAtGateway)
    }
}
