import PaymentsCore

extension StripeEmulator {
    /// `refund {"id": pi, "amount", "status": pending|succeeded}`: emits `refund.created`, plus `charge.refunded` once
    /// the money moved (succeeded).
    func refund(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        guard let id = body["id"]?.stringValue else { throw StripeError(message: "id is required") }
        let status = body["status"]?.stringValue ?? "succeeded"
        guard status == "pending" || status == "succeeded" else {
            throw StripeError(message: "status must be pending|succeeded")
        }
        return try makeRefund(
            &store, intentID: id, amount: body["amount"]?.lenientInt, status: status, deliver: deliver
        )
        .json
    }

    /// Refunds part or all of what is left of a PaymentIntent's captured charge, emitting `refund.created` and, once
    /// the money moved (succeeded), `charge.refunded`: shared by the control hook and `POST /v1/refunds`.
    func makeRefund(
        _ store: inout StripeStore, intentID: String, amount requested: Int64?, status: String, reason: String? = nil,
        metadata: [(String, String)] = [], deliver: Bool
    ) throws(StripeError) -> StripeRefund {
        let (intent, paidCharge) = try store.paidIntent(intentID)
        var charge = paidCharge
        guard charge.captured else {
            throw StripeError(message: "Charge \(charge.id) is not captured; cancel the PaymentIntent instead.")
        }
        let remaining = charge.amountCaptured - store.reservedRefunds(charge: charge.id)
        guard remaining > 0 else {
            throw StripeError(
                code: "charge_already_refunded", message: "Charge \(charge.id) has already been refunded.")
        }
        let amount = requested ?? remaining
        guard amount >= 1, amount <= remaining else {
            throw StripeError(
                code: "amount_too_large",
                message: "Refund amount \(amount) is not within 1...\(remaining) for \(charge.id).",
                param: "amount")
        }
        let refund = StripeRefund(
            id: RandomID.make("re_"), amount: amount, charge: charge.id, paymentIntent: intent.id,
            currency: charge.currency, status: status, created: SocketIO.now(), reason: reason, metadata: metadata)
        store.refunds[refund.id] = refund
        store.refundOrder.append(refund.id)
        let hasTarget = hasWebhookTarget
        store.emit(
            "refund.created", paymentIntent: intent.id, object: refund.json, deliver: deliver, hasTarget: hasTarget)
        if status == "succeeded" {
            charge.amountRefunded += amount
            store.charges[charge.id] = charge
            store.emit(
                "charge.refunded", paymentIntent: intent.id, object: charge.json, deliver: deliver, hasTarget: hasTarget
            )
        }
        return refund
    }

    /// `refund-update {"id": re, "status": succeeded|failed|canceled}`: emits `refund.updated` (`refund.failed` when
    /// failed) and keeps the charge's `amount_refunded` in step.
    func refundUpdate(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        guard let id = body["id"]?.stringValue, var refund = store.refunds[id] else {
            throw StripeError.noSuch("refund", body["id"]?.stringValue ?? "")
        }
        guard let status = body["status"]?.stringValue, ["succeeded", "failed", "canceled"].contains(status) else {
            throw StripeError(message: "status must be succeeded|failed|canceled")
        }
        guard refund.status != status else { throw StripeError(message: "Refund \(id) is already \(status).") }
        guard var charge = store.charges[refund.charge] else { throw StripeError.noSuch("charge", refund.charge) }
        let wasSucceeded = refund.status == "succeeded"
        refund.status = status
        store.refunds[id] = refund
        let hasTarget = hasWebhookTarget
        if status == "succeeded" {
            charge.amountRefunded += refund.amount
            store.charges[charge.id] = charge
            store.emit(
                "refund.updated", paymentIntent: refund.paymentIntent, object: refund.json, deliver: deliver,
                hasTarget: hasTarget)
            store.emit(
                "charge.refunded", paymentIntent: refund.paymentIntent, object: charge.json, deliver: deliver,
                hasTarget: hasTarget)
        } else {
            if wasSucceeded {
                charge.amountRefunded = max(0, charge.amountRefunded - refund.amount)
                store.charges[charge.id] = charge
            }
            let type = status == "failed" ? "refund.failed" : "refund.updated"
            store.emit(
                type, paymentIntent: refund.paymentIntent, object: refund.json, deliver: deliver, hasTarget: hasTarget)
        }
        return refund.json
    }

    /// `dispute {"id": pi, "amount"}`: opens a dispute and withdraws the funds (`charge.dispute.funds_withdrawn`).
    func dispute(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        guard let id = body["id"]?.stringValue else { throw StripeError(message: "id is required") }
        let (intent, paidCharge) = try store.paidIntent(id)
        var charge = paidCharge
        let amount = body["amount"]?.lenientInt ?? (charge.amountCaptured > 0 ? charge.amountCaptured : charge.amount)
        guard amount >= 1, amount <= charge.amount else {
            throw StripeError(
                code: "amount_too_large", message: "Dispute amount must be within 1...\(charge.amount).",
                param: "amount")
        }
        let dispute = StripeDispute(
            id: RandomID.make("du_"), amount: amount, charge: charge.id, paymentIntent: intent.id,
            currency: charge.currency,
            created: SocketIO.now())
        store.disputes[dispute.id] = dispute
        charge.disputed = true
        store.charges[charge.id] = charge
        store.emit(
            "charge.dispute.funds_withdrawn", paymentIntent: intent.id, object: dispute.json, deliver: deliver,
            hasTarget: hasWebhookTarget)
        return dispute.json
    }

    /// `reinstate {"id": du}`: the dispute was won; emits `charge.dispute.funds_reinstated`.
    func reinstate(_ store: inout StripeStore, _ body: JSONValue, _ deliver: Bool) throws(StripeError) -> JSONValue {
        guard let id = body["id"]?.stringValue, var dispute = store.disputes[id] else {
            throw StripeError.noSuch("dispute", body["id"]?.stringValue ?? "")
        }
        guard dispute.status != "won" else { throw StripeError(message: "Dispute \(id) was already reinstated.") }
        dispute.status = "won"
        store.disputes[id] = dispute
        store.emit(
            "charge.dispute.funds_reinstated", paymentIntent: dispute.paymentIntent, object: dispute.json,
            deliver: deliver,
            hasTarget: hasWebhookTarget)
        return dispute.json
    }

    /// `put-refund {"payment_intent", "amount", "id"?, "status"?, "currency"?, "charge"?}`: stores a refund exactly as
    /// given, emitting nothing and skipping every check Stripe makes, so a test can make the API hold what real Stripe
    /// never would (more than the charge, another gateway's payment) and deliver its own signed event about it.
    func putRefund(_ body: JSONValue) -> SandboxResponse {
        // Odd amounts are allowed (negative, zero, beyond the charge), within ±10^12 so sums over refunds stay in range.
        guard let intent = body["payment_intent"]?.stringValue, !intent.isEmpty,
            let amount = body["amount"]?.lenientInt, (-1_000_000_000_000...1_000_000_000_000).contains(amount)
        else { return .controlError(400, "payment_intent and an integer amount within ±10^12 are required") }
        let id = body["id"]?.stringValue ?? RandomID.make("re_")
        guard id.hasPrefix("re_") else { return .controlError(400, "id must start with re_") }
        let refund = StripeRefund(
            id: id, amount: amount, charge: body["charge"]?.stringValue ?? "", paymentIntent: intent,
            currency: body["currency"]?.stringValue ?? "usd", status: body["status"]?.stringValue ?? "succeeded",
            created: SocketIO.now())
        state.withLock { store in
            if store.refunds[id] == nil { store.refundOrder.append(id) }
            store.refunds[id] = refund
        }
        return .json(200, refund.json)
    }
}
