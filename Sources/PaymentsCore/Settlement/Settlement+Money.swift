extension Settlement {
    /// Credits a final payment once under its id, or hands it to an operator when its money cannot be booked.
    func bookPayment(_ payment: SettlementFact.Payment, into booking: inout Booking) throws {
        let session = payment.session
        let detail =
            "currency=\(payment.amount.currency) amount=\(payment.amount.text)"
            + (session.map { " expected=\($0.amount.decimalString) session=\($0.publicID)" } ?? "")
        if payment.refundedAtGateway {
            guard try isBooked(payment.id) else {
                return handOver(
                    reference: payment.id, reason: "refunded-before-credit", detail: detail, closing: session,
                    into: &booking)
            }
            return booking.decide(.credited, outcome: "already-credited")
        }
        if let session, session.status == .paid || session.status == .refunded, !(try isBooked(payment.id)) {
            // A session is credited once: another payment for it (a second Payeer operation on one order) is money
            // a person must return or apply.
            return handOver(
                reference: payment.id, reason: "second-payment", detail: detail, closing: nil, into: &booking)
        }
        guard payment.amount.isUSD else {
            return handOver(
                reference: payment.id, reason: "non-usd-payment", detail: detail, closing: session, into: &booking)
        }
        let amount: Money
        switch (payment.rule, session) {
        case (.reported, _), (_, nil):
            guard let cents = payment.amount.usableCents else {
                return booking.decide(.open, outcome: "nothing-received")
            }
            amount = Money(cents: cents)
        case (.exact, let session?):
            guard payment.amount.cents == session.amount.cents else {
                return handOver(
                    reference: payment.id, reason: "amount-mismatch", detail: detail, closing: session,
                    into: &booking)
            }
            amount = session.amount
        case (.upToSession(let overpaymentAllowed), let session?):
            guard let cents = payment.amount.usableCents else {
                return handOver(
                    reference: payment.id, reason: "unusable-payment", detail: detail, closing: session,
                    into: &booking)
            }
            amount = overpaymentAllowed ? Money(cents: cents) : min(session.amount, Money(cents: cents))
        case (.atLeastSession, let session?):
            guard let cents = payment.amount.usableCents, cents >= session.amount.cents else {
                return handOver(
                    reference: payment.id, reason: "underpayment", detail: detail, closing: session, into: &booking)
            }
            if cents > session.amount.cents {
                handOver(reference: payment.id, reason: "overpayment", detail: detail, closing: nil, into: &booking)
            }
            amount = session.amount
        }
        booking.effect.entries.append(
            LedgerEntry(
                paymentID: payment.id, uid: payment.uid, gateway: gateway, amount: amount, sessionID: session?.id))
        if let session { booking.move(session, to: .paid) }
        booking.decide(.credited, outcome: "credited")
    }

    /// Takes money back from a payment of this gateway as one negative row under the refund's own id.
    func bookRefund(_ refund: SettlementFact.Refund, into booking: inout Booking) throws {
        var reportedCents: Int64?
        if case .reported(let reported) = refund.amount {
            guard let usable = reported.usableCents, reported.isUSD else {
                let noun = refund.kind.noun
                return handOver(
                    reference: refund.id, reason: reported.usableCents == nil ? "unusable-\(noun)" : "non-usd-\(noun)",
                    detail: "currency=\(reported.currency) amount=\(reported.text) payment=\(refund.paymentID)",
                    closing: nil, into: &booking)
            }
            reportedCents = usable
        }
        let payment = try target(refund.paymentID, of: "\(refund.kind) \(refund.id)")
        let cents = reportedCents ?? payment.amount.cents
        let completes = try completesRefund(refund, cents: cents, of: payment, booking: booking)
        booking.effect.entries.append(
            LedgerEntry(
                paymentID: refund.id, uid: payment.uid, gateway: gateway, amount: Money(cents: -cents),
                sessionID: payment.sessionID, refundOf: refund.paymentID))
        if completes, let sessionID = payment.sessionID {
            booking.effect.sessionUpdates.append((sessionID, .refunded))
        }
        booking.decide(.refunded, outcome: refund.kind.outcome)
    }

    /// Whether this refund takes back the rest of the payment (what was taken back before, in the ledger or earlier
    /// in this delivery, plus `cents` reaches the credit), so its session becomes `refunded` whether the gateway
    /// reported the whole payment or a last part. Disputes count only as `.wholePayment`: a dispute can still be
    /// won, and `refunded` is final. A refund beyond the credit is still capped by the ledger (`over-refund`).
    private func completesRefund(
        _ refund: SettlementFact.Refund, cents: Int64, of payment: StoredLedgerEntry, booking: Booking
    ) throws -> Bool {
        if case .wholePayment = refund.amount { return true }
        guard refund.kind != .dispute else { return false }
        var taken = Saturating.add(cents, try ledger.refundedTotal(of: refund.paymentID).cents)
        for earlier in booking.effect.entries where earlier.refundOf == refund.paymentID {
            guard earlier.paymentID != refund.id, !(try isBooked(earlier.paymentID)) else { continue }
            taken = Saturating.subtract(taken, earlier.amount.cents)
        }
        guard taken >= payment.amount.cents else { return false }
        // A refund delivered again is already in the ledger's total (read only when it could decide).
        return try !isBooked(refund.id) || Saturating.subtract(taken, cents) >= payment.amount.cents
    }

    /// Gives back a booked refund that failed or was canceled, once, as `<refundID>-reversed`.
    func bookReversal(refundID: String, paymentID: String, into booking: inout Booking) throws {
        guard let booked = try ledger.entry(paymentID: refundID) else { return }
        booking.effect.entries.append(
            LedgerEntry(
                paymentID: "\(refundID)-reversed", uid: booked.uid, gateway: gateway,
                amount: Money(cents: -booked.amount.cents), sessionID: booked.sessionID, refundOf: paymentID))
        booking.decide(.refunded, outcome: "refund-reversed")
    }

    /// Returns a dispute's withdrawn funds as `<disputeID>-reinstated`, only once the withdrawal is booked.
    func bookReinstatement(
        disputeID: String, paymentID: String, amount: ReportedMoney, into booking: inout Booking
    ) throws {
        guard let cents = amount.usableCents, amount.isUSD else {
            return handOver(
                reference: disputeID, reason: amount.usableCents == nil ? "unusable-dispute" : "non-usd-dispute",
                detail: "currency=\(amount.currency) amount=\(amount.text) payment=\(paymentID)", closing: nil,
                into: &booking)
        }
        let payment = try target(paymentID, of: "dispute \(disputeID)")
        guard try isBooked(disputeID) else {
            // Nothing was withdrawn yet: retry later rather than credit money that was never taken back.
            throw LedgerError(.refundTargetMissing, "dispute \(disputeID) reinstated before its withdrawal")
        }
        booking.effect.entries.append(
            LedgerEntry(
                paymentID: "\(disputeID)-reinstated", uid: payment.uid, gateway: gateway, amount: Money(cents: cents),
                sessionID: payment.sessionID, refundOf: paymentID))
        booking.decide(.refunded, outcome: "reinstated")
    }
}
