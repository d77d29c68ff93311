import Logging
import PaymentsCore

extension CustomGatewayEmulator {
    /// Routes `/control/custom/...` (segments after `control/custom`).
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        if request.method == "GET", path.isEmpty {
            let list = gateways.values.sorted { $0.id < $1.id }.map { gateway -> JSONValue in
                .object([("id", .string(gateway.id)), ("scheme", .string(gateway.scheme))])
            }
            return .json(200, .object([("gateways", .array(list))]))
        }
        guard path.count == 2, let gateway = gateways[path[0]] else {
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
        switch (request.method, path[1]) {
        case ("GET", "checkouts"):
            let list = state.withLock { $0.checkouts[gateway.id]?.values.map(\.json) ?? [] }
            return .json(200, .object([("checkouts", .array(list))]))
        case ("GET", "events"):
            return .json(200, .object([("events", .array(state.withLock { $0.events[gateway.id] ?? [] }))]))
        case ("POST", "reset"):
            state.withLock { store in
                store.checkouts[gateway.id] = nil
                store.events[gateway.id] = nil
            }
            return .json(200, .object([("reset", .bool(true))]))
        case ("POST", "pay"), ("POST", "fail"), ("POST", "refund"), ("POST", "event"):
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            return deliver(gateway, kind: path[1], body)
        default:
            return .controlError(404, "unknown control endpoint \(request.path)")
        }
    }

    /// `pay|fail|refund|event {session_id, status?, amount?, currency?, payment_id?, event_id?, refund_id?,
    /// refund_amount?, deliver?, secret?, tamper_amount?, tamper_status?, omit_signature?, reorder?, timestamp?}`.
    ///
    /// Builds the notification with the gateway's pointers (amounts in cents, written in its format; `pay` defaults to
    /// the checkout's amount, `refund` to all of it), signs it, then applies the forgeries asked for: `secret` signs
    /// with another secret (`whsec_…` under standard), `tamper_amount` / `tamper_status` change the body after
    /// signing, `omit_signature` drops the signature header(s), `reorder` reverses every object's members after
    /// signing, `timestamp` sets `webhook-timestamp`. POSTs it to the responder unless `deliver` is false, and answers
    /// the event with the responder's status and body.
    private func deliver(_ gateway: CustomSandboxGateway, kind: String, _ body: JSONValue) -> SandboxResponse {
        guard let sessionID = body["session_id"]?.stringValue, !sessionID.isEmpty else {
            return .controlError(400, "session_id is required")
        }
        let checkout = recordCheckout(
            gateway: gateway.id, sessionID: sessionID, amount: nil, successURL: nil, cancelURL: nil)
        let status: String
        switch kind {
        case "pay": status = body["status"]?.stringValue ?? gateway.paidStatus
        case "fail": status = body["status"]?.stringValue ?? gateway.failedStatus
        case "refund": status = body["status"]?.stringValue ?? gateway.refundStatus
        default:
            guard let given = body["status"]?.stringValue else { return .controlError(400, "status is required") }
            status = given
        }
        let amount = body["amount"]?.lenientInt ?? checkout.amount
        guard kind != "pay" || amount != nil else {
            return .controlError(400, "amount is required: the checkout page never saw this session's amount")
        }
        let eventID = body["event_id"]?.stringValue ?? RandomID.make("evt_")
        var fields: [(JSONPointer, JSONValue)] = [
            (gateway.status, .string(status)), (gateway.sessionRef, .string(sessionID)),
        ]
        if let pointer = gateway.eventID { fields.insert((pointer, .string(eventID)), at: 0) }
        if kind != "fail" {
            fields.append((gateway.paymentID, .string(body["payment_id"]?.stringValue ?? checkout.paymentID)))
            if let amount { fields.append((gateway.amount, gateway.amountValue(amount))) }
            fields.append((gateway.currency, .string(body["currency"]?.stringValue ?? "USD")))
        }
        if kind == "refund" {
            fields.append((gateway.refundID, .string(body["refund_id"]?.stringValue ?? RandomID.make("rf_"))))
            if let refund = body["refund_amount"]?.lenientInt ?? amount {
                fields.append((gateway.refundAmount, gateway.amountValue(refund)))
            }
        }
        guard var document = Self.build(fields) else {
            return .controlError(409, "the gateway's pointers conflict; cannot build its notification")
        }
        let timestamp = body["timestamp"]?.lenientInt ?? SocketIO.now()
        var key: [UInt8]?
        if let secret = body["secret"]?.stringValue {
            key = CustomSandboxGateway.key(scheme: gateway.scheme, secret: secret)
            guard key != nil else { return .controlError(400, "secret must be whsec_<base64> under standard") }
        }
        var headers = gateway.signatureHeaders(
            body: Array(document.serialized().utf8), webhookID: eventID, timestamp: timestamp, key: key)
        if let tampered = body["tamper_amount"]?.lenientInt {
            document = gateway.amount.setting(gateway.amountValue(tampered), in: document) ?? document
        }
        if let tampered = body["tamper_status"]?.stringValue {
            document = gateway.status.setting(.string(tampered), in: document) ?? document
        }
        if body["reorder"]?.boolValue == true { document = Self.reversed(document) }
        if body["omit_signature"]?.boolValue == true {
            headers.removeAll { $0.0 == gateway.header || $0.0 == "webhook-signature" }
        }
        return send(
            gateway, eventID: eventID, document: document, headers: headers, deliver: body["deliver"]?.boolValue ?? true
        )
    }

    private func send(
        _ gateway: CustomSandboxGateway, eventID: String, document: JSONValue, headers: [(String, String)],
        deliver: Bool
    ) -> SandboxResponse {
        let bytes = Array(document.serialized().utf8)
        var record: [(String, JSONValue)] = [
            ("event_id", .string(eventID)), ("body", .string(document.serialized())),
            ("headers", .object(headers.map { ($0.0, .string($0.1)) })),
        ]
        if deliver, let webhookTarget {
            let url = webhookTarget + "/\(gateway.id)-handleWebhookEvents"
            do throws(SandboxError) {
                let response = try HTTPClient.send(
                    method: "POST", url: url, headers: [("Content-Type", "application/json")] + headers, body: bytes,
                    timeoutSeconds: 30)
                record.append(("delivery", .string("delivered")))
                record.append(("http_status", .int(response.status)))
                record.append(("response", .string(String(decoding: response.body.prefix(1024), as: UTF8.self))))
                logger.info("custom \(gateway.id) webhook \(eventID) answered \(response.status)")
            } catch {
                record.append(("delivery", .string("failed")))
                record.append(("error", .string(error.message)))
                logger.info("custom \(gateway.id) webhook \(eventID) failed: \(error.message)")
            }
        } else {
            record.append(("delivery", .string(deliver ? "no_target" : "held")))
        }
        let event = JSONValue.object(record)
        state.withLock { $0.events[gateway.id, default: []].append(event) }
        return .json(200, event)
    }

    /// A document holding each value at its pointer, in order; nil when two pointers conflict.
    static func build(_ fields: [(JSONPointer, JSONValue)]) -> JSONValue? {
        var document = JSONValue.object([])
        for (pointer, value) in fields {
            guard let next = pointer.setting(value, in: document) else { return nil }
            document = next
        }
        return document
    }

    /// Every object's members in reverse order (the same fields, other bytes).
    static func reversed(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .object(members): return .object(members.reversed().map { ($0.0, reversed($0.1)) })
        case let .array(items): return .array(items.map(reversed))
        default: return value
        }
    }
}
