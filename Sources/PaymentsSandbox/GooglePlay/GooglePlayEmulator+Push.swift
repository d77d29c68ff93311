import Logging
import PaymentsCore
import Signing

extension GooglePlayEmulator {
    /// `POST /control/googleplay/notify`: builds one Real-time developer notification, wraps it as Pub/Sub pushes it
    /// (`{"message": {"data": base64, "messageId", "publishTime", "attributes"}, "subscription"}`) and POSTs it once,
    /// synchronously, with an OIDC bearer token, answering `{status, body, messageId}`.
    ///
    /// Body: `kind` `voided` (default; the purchase is also marked canceled, as a refund does), `purchased`,
    /// `canceled` (one-time product notifications 1 and 2) or `test`; `purchaseToken` (all but `test`); optional
    /// `orderId`, `refundType` (1), `packageName`, `messageId` (repeat one to redeliver), `url`; token options
    /// `signature` (`valid`, `corrupt`, `rogue`, `none`, or `absent` for no header), `key` (0 or 1), `audience`,
    /// `email`, `claims` and `header` overrides.
    func notify(_ body: JSONValue) -> SandboxResponse {
        let notification: JSONValue
        do {
            notification = try developerNotification(body)
        } catch {
            return .controlError(400, "\(error)")
        }
        guard let url = body["url"]?.stringValue ?? pushURL else {
            return .controlError(400, "url is required (no SANDBOX_WEBHOOK_TARGET)")
        }
        let messageID =
            body["messageId"]?.stringValue ?? String(Int64.random(in: 1_000_000_000_000...9_999_999_999_999))
        let push = JSONValue.object([
            (
                "message",
                .object([
                    ("attributes", .object([])),
                    ("data", .string(Base64.encode(Array(notification.serialized().utf8)))),
                    ("messageId", .string(messageID)), ("message_id", .string(messageID)),
                    ("publishTime", .string(PayPalStore.timestamp())),
                    ("publish_time", .string(PayPalStore.timestamp())),
                ])
            ),
            ("subscription", .string("projects/tn-sandbox/subscriptions/play-rtdn-push")),
        ])
        var headers = [("Content-Type", "application/json")]
        do {
            if body["signature"]?.stringValue != "absent" {
                headers.append(("Authorization", "Bearer " + (try oidcToken(body, url: url))))
            }
            let answer = try HTTPClient.send(
                method: "POST", url: url, headers: headers, body: Array(push.serialized().utf8))
            logger.info("googleplay push \(messageID) → \(answer.status)")
            return .json(
                200,
                .object([
                    ("status", .int(answer.status)), ("body", .string(String(decoding: answer.body, as: UTF8.self))),
                    ("messageId", .string(messageID)),
                ]))
        } catch {
            return .controlError(502, "push failed: \(error)")
        }
    }

    /// The push's OIDC token: `aud` the configured `GOOGLE_PUBSUB_AUDIENCE` (else the push URL), `email` the
    /// configured push service account, unless the body overrides them.
    func oidcToken(_ body: JSONValue, url: String) throws -> String {
        if let claims = body["claims"], claims.members == nil { throw SandboxError("claims must be an object") }
        if let header = body["header"], header.members == nil { throw SandboxError("header must be an object") }
        return try signer.mint(
            audience: body["audience"]?.stringValue ?? settings.pubsubAudience ?? url,
            email: body["email"]?.stringValue ?? settings.pubsubServiceAccount, claims: body["claims"],
            header: body["header"], keyIndex: Int(body["key"]?.int64Value ?? 0),
            signature: body["signature"]?.stringValue ?? "valid")
    }

    /// The `DeveloperNotification` the body asks for (research §4.3).
    private func developerNotification(_ body: JSONValue) throws -> JSONValue {
        let kind = body["kind"]?.stringValue ?? "voided"
        var members: [(String, JSONValue)] = [
            ("version", .string("1.0")),
            ("packageName", .string(body["packageName"]?.stringValue ?? settings.packageName)),
            ("eventTimeMillis", .string(String(SocketIO.now() * 1000))),
        ]
        if kind == "test" {
            members.append(("testNotification", .object([("version", .string("1.0"))])))
            return .object(members)
        }
        guard let token = body["purchaseToken"]?.stringValue else { throw SandboxError("purchaseToken is required") }
        let purchase = purchases.withLock { all -> GooglePlaySandboxPurchase? in
            if kind == "voided" { all[token]?.state = .canceled }
            return all[token]
        }
        switch kind {
        case "voided":
            guard let orderID = body["orderId"]?.stringValue ?? purchase?.orderID else {
                throw SandboxError("no purchase \(token) and no orderId")
            }
            members.append(
                (
                    "voidedPurchaseNotification",
                    .object([
                        ("purchaseToken", .string(token)), ("orderId", .string(orderID)), ("productType", .int(2)),
                        ("refundType", .int(body["refundType"]?.int64Value ?? 1)),
                    ])
                ))
        case "purchased", "canceled":
            members.append(
                (
                    "oneTimeProductNotification",
                    .object([
                        ("version", .string("1.0")), ("notificationType", .int(kind == "purchased" ? 1 : 2)),
                        ("purchaseToken", .string(token)), ("sku", .string(purchase?.productID ?? "")),
                    ])
                ))
        default:
            throw SandboxError("kind must be voided|purchased|canceled|test")
        }
        return .object(members)
    }
}
