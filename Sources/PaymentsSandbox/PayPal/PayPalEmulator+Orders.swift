import PaymentsCore

extension PayPalEmulator {
    /// `POST /v2/checkout/orders`: 201 on first create, 200 with the same order for a repeated `PayPal-Request-Id`.
    func createOrder(_ request: SandboxRequest) throws(PayPalError) -> SandboxResponse {
        let full = request.header("prefer")?.contains("return=representation") ?? false
        guard let body = try? JSONValue.parse(request.body), body["intent"] != nil || body["purchase_units"] != nil
        else {
            throw PayPalError.invalid("/", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
        }
        guard let intent = body["intent"]?.stringValue, intent == "CAPTURE" || intent == "AUTHORIZE" else {
            throw PayPalError.invalid("/intent", "INVALID_PARAMETER_VALUE", "The value of a field is invalid.")
        }
        guard let units = body["purchase_units"]?.arrayValue, units.count == 1, let unit = units.first else {
            throw PayPalError.invalid(
                "/purchase_units", "MISSING_REQUIRED_PARAMETER", "The sandbox accepts exactly one purchase unit.")
        }
        guard let currency = unit.at("amount.currency_code")?.stringValue, currency.count == 3,
            currency.allSatisfy(\.isUppercase)
        else {
            throw PayPalError.invalid(
                "/purchase_units/@reference_id=default/amount/currency_code", "INVALID_PARAMETER_VALUE",
                "The currency code is invalid.")
        }
        guard let value = unit.at("amount.value")?.stringValue, value.count <= 32, Self.isDecimal(value) else {
            throw PayPalError.invalid(
                "/purchase_units/@reference_id=default/amount/value", "INVALID_PARAMETER_SYNTAX",
                "The value of a field does not conform to the expected format.")
        }
        if let fraction = value.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first,
            fraction.count > 2
        {
            throw PayPalError.unprocessable(
                "DECIMAL_PRECISION", "If the currency supports decimals, only two decimal place precision is supported."
            )
        }
        guard let cents = Money.exactCents(fromDecimal: value)?.cents, cents > 0 else {
            throw PayPalError.unprocessable("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.")
        }
        let customID = unit["custom_id"]?.stringValue
        if let customID, customID.isEmpty || customID.count > 127 {
            throw PayPalError.invalid(
                "/purchase_units/@reference_id=default/custom_id", "INVALID_STRING_MAX_LENGTH",
                "The value of a field is too long.")
        }
        let key = request.header("paypal-request-id")
        let (order, capture, replay) = state.withLock { store -> (PayPalSandboxOrder, PayPalSandboxCapture?, Bool) in
            if let key, let existing = store.createRequests[key].flatMap({ store.orders[$0] }) {
                return (existing, existing.captureID.flatMap { store.captures[$0] }, true)
            }
            let order = PayPalSandboxOrder(
                id: PayPalStore.makeID(17), status: "CREATED", intent: intent,
                referenceID: unit["reference_id"]?.stringValue,
                customID: customID, currency: currency, value: value, created: PayPalStore.timestamp())
            store.orders[order.id] = order
            store.orderSequence.append(order.id)
            if let key { store.createRequests[key] = order.id }
            return (order, nil, false)
        }
        return .json(
            replay ? 200 : 201, full ? order.json(base: base, capture: capture) : order.minimalJSON(base: base))
    }

    /// `POST /v2/checkout/orders/{id}/capture`: from APPROVED only, per the order's capture mode. A repeated
    /// `PayPal-Request-Id` of a capture that was performed is answered 200 with the order as it is now.
    func captureOrder(_ id: String, _ request: SandboxRequest) throws(PayPalError) -> SandboxResponse {
        let key = request.header("paypal-request-id")
        let hasTarget = hasWebhookTarget
        let (status, json) = try mutate { store throws(PayPalError) -> (Int, JSONValue) in
            guard var order = store.orders[id] else { throw PayPalError.notFound("order_id") }
            store.captureRequestIDs[id, default: []].append(key ?? "")
            if let key, store.captureRequests[key] == id {
                return (200, order.json(base: base, capture: order.captureID.flatMap { store.captures[$0] }))
            }
            store.captureCalls[id, default: 0] += 1
            if order.captureMode == "5XX_THEN_OK" {
                order.captureMode = "COMPLETED"
                store.orders[id] = order
                return (500, Self.internalError)
            }
            if order.expired { throw PayPalError.unprocessable("ORDER_EXPIRED", "The order has expired.") }
            if order.status == "COMPLETED" {
                throw PayPalError.unprocessable(
                    "ORDER_ALREADY_CAPTURED",
                    "Order already captured. If 'intent=CAPTURE' only one capture per order is allowed.")
            }
            guard order.status == "APPROVED" else {
                throw PayPalError.unprocessable(
                    "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment.")
            }
            if order.captureMode == "INSTRUMENT_DECLINED" {
                throw PayPalError.unprocessable(
                    "INSTRUMENT_DECLINED", "The instrument presented was either declined by the processor or bank.")
            }
            let now = PayPalStore.timestamp()
            let captureStatus =
                ["PENDING", "DECLINED", "FAILED"].contains(order.captureMode) ? order.captureMode : "COMPLETED"
            let capture = PayPalSandboxCapture(
                id: PayPalStore.makeID(17), orderID: id, status: captureStatus, currency: order.currency,
                cents: Money.exactCents(fromDecimal: order.value)?.cents ?? 0, customID: order.customID, created: now,
                updated: now)
            store.captures[capture.id] = capture
            order.captureID = capture.id
            order.status = "COMPLETED"
            let lostAnswer = order.captureMode == "5XX_AFTER_CAPTURE" || order.captureMode == "DROP_AFTER_CAPTURE"
            let dropped = order.captureMode == "DROP_AFTER_CAPTURE"
            if lostAnswer { order.captureMode = "COMPLETED" }
            store.orders[id] = order
            if let key { store.captureRequests[key] = id }
            let type: String
            switch captureStatus {
            case "COMPLETED": type = "PAYMENT.CAPTURE.COMPLETED"
            case "PENDING": type = "PAYMENT.CAPTURE.PENDING"
            default: type = "PAYMENT.CAPTURE.DECLINED"
            }
            store.emit(
                type, orderID: id, resourceType: "capture", resource: capture.json(base: base),
                summary: "Payment \(captureStatus.lowercased())", base: base, deliver: order.deliver,
                hasTarget: hasTarget)
            if dropped { return (0, .null) }
            if lostAnswer { return (500, Self.internalError) }
            return (201, order.json(base: base, capture: capture))
        }
        return status == 0 ? .drop : .json(status, json)
    }

    /// `POST /v2/payments/captures/{id}/refund {amount?: {value, currency_code}, note_to_payer?}`: refunds what is left
    /// (or `amount` of it, in the capture's currency), never more (`REFUND_AMOUNT_EXCEEDED`); a `PayPal-Request-Id`
    /// seen before answers the refund it made. See https://developer.paypal.com/docs/api/payments/v2/#captures_refund
    func refundCapture(_ captureID: String, _ request: SandboxRequest) throws(PayPalError) -> SandboxResponse {
        let body = (try? JSONValue.parse(request.body)) ?? .object([])
        var cents: Int64?
        if let amount = body["amount"] {
            guard let value = amount["value"]?.stringValue, let parsed = Money.exactCents(fromDecimal: value)?.cents,
                parsed > 0
            else {
                throw PayPalError.invalid("/amount/value", "INVALID_PARAMETER_VALUE", "The refund amount is invalid.")
            }
            guard let currency = amount["currency_code"]?.stringValue else {
                throw PayPalError.invalid(
                    "/amount/currency_code", "MISSING_REQUIRED_PARAMETER", "A required field is missing.")
            }
            cents = parsed
            let captureCurrency = state.withLock { store in
                store.captureID(for: captureID).flatMap { store.captures[$0]?.currency }
            }
            if let captureCurrency, captureCurrency != currency {
                throw PayPalError.unprocessable(
                    "CURRENCY_MISMATCH", "The refund currency must match the currency of the capture.")
            }
        }
        if let note = body["note_to_payer"]?.stringValue, note.count > 255 {
            throw PayPalError.invalid("/note_to_payer", "INVALID_STRING_LENGTH", "The value of a field is too long.")
        }
        let requestID = request.header("paypal-request-id")
        let refund = try mutate { store throws(PayPalError) in
            if let requestID, let earlier = store.refundRequests[requestID], let refund = store.refunds[earlier] {
                return refund.json(base: base)
            }
            let refund = try self.takeBack(&store, captureID: captureID, cents: cents, reversal: false, deliver: true)
            if let requestID { store.refundRequests[requestID] = refund.id }
            return refund.json(base: base)
        }
        return .json(201, refund)
    }

    /// Refunds (or reverses) part or all of what is left of a capture, emitting `PAYMENT.CAPTURE.REFUNDED` / `.REVERSED`.
    func takeBack(_ store: inout PayPalStore, captureID id: String, cents: Int64?, reversal: Bool, deliver: Bool)
        throws(PayPalError)
        -> PayPalSandboxRefund
    {
        guard let captureID = store.captureID(for: id), var capture = store.captures[captureID] else {
            throw PayPalError.notFound("capture_id")
        }
        guard capture.status == "COMPLETED" || capture.status == "PARTIALLY_REFUNDED" else {
            throw PayPalError.unprocessable(
                "CAPTURE_FULLY_REFUNDED", "The capture is \(capture.status) and cannot be refunded.")
        }
        let remaining = capture.cents - capture.takenBackCents
        let amount = cents ?? remaining
        guard amount > 0, amount <= remaining else {
            throw PayPalError.unprocessable(
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")
        }
        let refund = PayPalSandboxRefund(
            id: PayPalStore.makeID(17), captureID: captureID, cents: amount, currency: capture.currency,
            customID: capture.customID,
            status: "COMPLETED", isReversal: reversal, created: PayPalStore.timestamp())
        store.refunds[refund.id] = refund
        capture.takenBackCents += amount
        capture.status = capture.takenBackCents == capture.cents ? "REFUNDED" : "PARTIALLY_REFUNDED"
        capture.updated = refund.created
        store.captures[captureID] = capture
        store.emit(
            reversal ? "PAYMENT.CAPTURE.REVERSED" : "PAYMENT.CAPTURE.REFUNDED", orderID: capture.orderID,
            resourceType: "refund",
            resource: refund.json(base: base), summary: reversal ? "A payment was reversed" : "A payment was refunded",
            base: base,
            deliver: deliver, hasTarget: hasWebhookTarget)
        return refund
    }

    static let internalError: JSONValue = .object([
        ("name", .string("INTERNAL_SERVER_ERROR")),
        ("message", .string("An internal server error occurred (injected by the sandbox).")),
    ])

    /// PayPal's money value syntax: `^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$`.
    static func isDecimal(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 1 { return !rest.isEmpty && rest.allSatisfy(\.isASCIIDigit) }
        return parts[0].allSatisfy(\.isASCIIDigit) && !parts[1].isEmpty && parts[1].allSatisfy(\.isASCIIDigit)
    }
}
