import PaymentsCore

extension StripeEmulator {
    private static let createParams: Set<String> = [
        "amount", "currency", "capture_method", "metadata", "automatic_payment_methods", "payment_method_types",
        "description", "receipt_email", "customer", "confirm", "statement_descriptor", "statement_descriptor_suffix",
        "setup_future_usage", "payment_method", "payment_method_options", "expand", "confirmation_method", "return_url",
        "shipping", "on_behalf_of", "transfer_data", "application_fee_amount",
    ]

    /// `POST /v1/payment_intents`.
    func createIntent(_ params: StripeParams) throws(StripeError) -> JSONValue {
        try params.checkKnown(Self.createParams)
        guard let amount = try params.integer("amount") else { throw StripeError.missing("amount") }
        guard amount >= 1 else {
            throw StripeError(code: "amount_too_small", message: "Amount must be a positive integer.", param: "amount")
        }
        guard amount <= 99_999_999 else {
            throw StripeError(
                code: "amount_too_large", message: "Amount must be no more than 99999999.", param: "amount")
        }
        guard let rawCurrency = params["currency"] else { throw StripeError.missing("currency") }
        let currency = rawCurrency.lowercased()
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
            throw StripeError(
                code: "parameter_invalid_string", message: "Invalid currency: \(rawCurrency).", param: "currency")
        }
        let captureMethod = params["capture_method"] ?? "automatic_async"
        guard ["automatic", "automatic_async", "manual"].contains(captureMethod) else {
            throw StripeError(
                code: "parameter_invalid_string",
                message: "Invalid capture_method: must be one of automatic, automatic_async, or manual",
                param: "capture_method")
        }
        let metadata = params.hash("metadata")
        guard metadata.count <= 50 else {
            throw StripeError(message: "Metadata can have at most 50 keys.", param: "metadata")
        }
        for (key, value) in metadata where key.count > 40 || value.count > 500 {
            throw StripeError(
                message: "Metadata keys are limited to 40 characters and values to 500 characters.",
                param: "metadata[\(key)]")
        }
        let automatic = params.hash("automatic_payment_methods").first { $0.0 == "enabled" }?.1 == "true"
        let id = RandomID.make("pi_")
        let intent = StripePaymentIntent(
            id: id, amount: amount, captureMethod: captureMethod,
            clientSecret: id + "_secret_" + RandomID.make("", length: 25),
            currency: currency, metadata: metadata, created: SocketIO.now(), description: params["description"],
            automaticPaymentMethods: automatic)
        return try mutate { store throws(StripeError) in
            store.intents[id] = intent
            return intent.json
        }
    }

    /// `GET /v1/payment_intents/{id}`.
    func retrieveIntent(_ id: String, _ params: StripeParams) throws(StripeError) -> JSONValue {
        try params.checkKnown(["client_secret", "expand"])
        return try lookup { store throws(StripeError) in
            guard let intent = store.intents[id] else {
                throw StripeError.noSuch("payment_intent", id, param: "intent")
            }
            return intent.json
        }
    }

    /// `POST /v1/payment_intents/{id}/capture`: only from `requires_capture`; emits `payment_intent.succeeded`.
    func captureIntent(_ id: String, _ params: StripeParams) throws(StripeError) -> JSONValue {
        try params.checkKnown([
            "amount_to_capture", "final_capture", "metadata", "statement_descriptor", "statement_descriptor_suffix",
            "expand",
            "application_fee_amount",
        ])
        let amountToCapture = try params.integer("amount_to_capture")
        let hasTarget = hasWebhookTarget
        return try mutate { store throws(StripeError) in
            guard var intent = store.intents[id] else {
                throw StripeError.noSuch("payment_intent", id, param: "intent")
            }
            guard intent.status == "requires_capture" else {
                throw StripeError.unexpectedState(intent, action: "captured")
            }
            let captured = amountToCapture ?? intent.amountCapturable
            guard captured >= 1, captured <= intent.amountCapturable else {
                throw StripeError(
                    code: "amount_too_large",
                    message:
                        "The amount to capture must be between 1 and the capturable amount (\(intent.amountCapturable)).",
                    param: "amount_to_capture")
            }
            intent.status = "succeeded"
            intent.amountReceived = captured
            intent.amountCapturable = 0
            intent.captureCount += 1
            if let chargeID = intent.latestCharge, var charge = store.charges[chargeID] {
                charge.captured = true
                charge.amountCaptured = captured
                store.charges[chargeID] = charge
            }
            store.intents[id] = intent
            store.emit(
                "payment_intent.succeeded", paymentIntent: id, object: intent.json, deliver: true, hasTarget: hasTarget)
            return intent.json
        }
    }

    /// `POST /v1/payment_intents/{id}/cancel`: releases an uncaptured authorization; emits `payment_intent.canceled`.
    func cancelIntent(_ id: String, _ params: StripeParams) throws(StripeError) -> JSONValue {
        try params.checkKnown(["cancellation_reason", "expand"])
        let reason = params["cancellation_reason"] ?? "requested_by_customer"
        guard ["duplicate", "fraudulent", "requested_by_customer", "abandoned"].contains(reason) else {
            throw StripeError(
                code: "parameter_invalid_string", message: "Invalid cancellation_reason: \(reason)",
                param: "cancellation_reason")
        }
        let hasTarget = hasWebhookTarget
        return try mutate { store throws(StripeError) in
            guard var intent = store.intents[id] else {
                throw StripeError.noSuch("payment_intent", id, param: "intent")
            }
            guard intent.isCancelable else { throw StripeError.unexpectedState(intent, action: "canceled") }
            intent.status = "canceled"
            intent.cancellationReason = params["cancellation_reason"]
            intent.canceledAt = SocketIO.now()
            intent.amountCapturable = 0
            store.intents[id] = intent
            store.emit(
                "payment_intent.canceled", paymentIntent: id, object: intent.json, deliver: true, hasTarget: hasTarget)
            return intent.json
        }
    }

    /// `POST /v1/refunds {payment_intent, amount?, reason?, metadata?}`: refunds what is left of the captured charge
    /// (or `amount` of it, never more: `amount_too_large`, `charge_already_refunded`), succeeding at once, and
    /// delivers `refund.created` and `charge.refunded` as the control hook does.
    /// See https://docs.stripe.com/api/refunds/create
    func createRefund(_ params: StripeParams) throws(StripeError) -> JSONValue {
        try params.checkKnown([
            "payment_intent", "charge", "amount", "reason", "metadata", "expand", "instructions_email", "origin",
            "refund_application_fee", "reverse_transfer",
        ])
        guard let intentID = params["payment_intent"] else {
            throw params["charge"] == nil
                ? StripeError.missing("payment_intent")
                : StripeError(message: "The sandbox refunds by payment_intent only.", param: "charge")
        }
        let amount = try params.integer("amount")
        if let amount, amount < 1 {
            throw StripeError(code: "amount_too_small", message: "Amount must be a positive integer.", param: "amount")
        }
        let reason = params["reason"]
        if let reason, !["duplicate", "fraudulent", "requested_by_customer"].contains(reason) {
            throw StripeError(
                code: "parameter_invalid_string",
                message: "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param: "reason")
        }
        let metadata = params.hash("metadata")
        for (key, value) in metadata where key.count > 40 || value.count > 500 {
            throw StripeError(
                message: "Metadata keys are limited to 40 characters and values to 500 characters.",
                param: "metadata[\(key)]")
        }
        return try mutate { store throws(StripeError) in
            try makeRefund(
                &store, intentID: intentID, amount: amount, status: "succeeded", reason: reason, metadata: metadata,
                deliver: true
            ).json
        }
    }

    /// `GET /v1/refunds?charge=…|payment_intent=…`: newest first, as Stripe lists.
    func listRefunds(_ params: StripeParams) throws(StripeError) -> JSONValue {
        try params.checkKnown([
            "charge", "payment_intent", "limit", "starting_after", "ending_before", "created", "expand",
        ])
        let limit = try params.integer("limit") ?? 10
        guard (1...100).contains(limit) else {
            throw StripeError(message: "limit must be between 1 and 100.", param: "limit")
        }
        return try lookup { store throws(StripeError) in
            let matching = store.refundOrder.reversed().compactMap { store.refunds[$0] }.filter { refund in
                (params["charge"].map { $0 == refund.charge } ?? true)
                    && (params["payment_intent"].map { $0 == refund.paymentIntent } ?? true)
            }
            return .object([
                ("object", .string("list")), ("data", .array(matching.prefix(Int(limit)).map(\.json))),
                ("has_more", .bool(matching.count > Int(limit))), ("url", .string("/v1/refunds")),
            ])
        }
    }
}
