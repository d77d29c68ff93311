import Foundation
import Logging
import PaymentsCore
import Signing

extension AppStoreEmulator {
    /// A signed JWS, or the control error to answer instead.
    private enum Signed {
        case signed(String)
        case refused(SandboxResponse)
    }

    /// `/control/appstore/...`:
    /// - `POST /control/appstore {"fail": bool}`: the Server API answers 500 while true.
    /// - `POST /control/appstore/transactions {productId, uid | appAccountToken, environment (Sandbox), bundleId,
    ///   signer (genuine|rogueRoot|rogueIntermediate|noLeafOID|noIntermediateOID), tamper, signedDate (ms)}` →
    ///   `{transactionId, appAccountToken, signedTransaction}`: a purchase, kept for lookups and refunds, and its
    ///   StoreKit `jwsRepresentation`.
    /// - `GET /control/appstore/transactions/<id>`: the purchase as the App Store keeps it.
    /// - `POST /control/appstore/notify {transactionId, notificationType (REFUND|REFUND_REVERSED|…), subtype,
    ///   notificationUUID, url, deliver (true), signer, tamper, environment, bundleId, appAppleId, signedDate}` →
    ///   `{notificationUUID, signedPayload, status, body, error}`: a V2 notification, POSTed once as
    ///   `{"signedPayload"}` to `url` (default the responder's `appstore-handleWebhookEvents`). `REFUND` revokes the
    ///   purchase first, `REFUND_REVERSED` reinstates it.
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        let body = JSONValue.controlBody(request)
        switch (request.method, path.first ?? "", path.count) {
        case ("POST", "", 0):
            guard let fail = body?["fail"]?.boolValue else { return .controlError(400, "expected {\"fail\": bool}") }
            state.withLock { $0.failing = fail }
            return .json(200, .object([("fail", .bool(fail))]))
        case ("POST", "transactions", 1):
            guard let body else { return .controlError(400, "body must be a JSON object") }
            return createTransaction(body)
        case ("GET", "transactions", 2):
            guard let transaction = state.withLock({ $0.transactions[path[1]] }) else {
                return .controlError(404, "no such transaction")
            }
            return .json(200, transaction.payload(signedDate: SocketIO.now() * 1000))
        case ("POST", "notify", 1):
            guard let body else { return .controlError(400, "body must be a JSON object") }
            return notify(body)
        default:
            return .controlError(404, "no route for \(request.method) \(request.path)")
        }
    }

    private func createTransaction(_ body: JSONValue) -> SandboxResponse {
        guard let productID = body["productId"]?.stringValue, !productID.isEmpty else {
            return .controlError(400, "productId is required")
        }
        let token =
            body["appAccountToken"]?.stringValue
            ?? body["uid"]?.stringValue.map { UUIDv5.make(namespace: UUIDv5.urlNamespace, name: Array($0.utf8)) }
        let now = SocketIO.now() * 1000
        let transaction = state.withLock { s in
            let id = String(s.nextTransactionNumber)
            s.nextTransactionNumber += 1
            let transaction = Transaction(
                id: id, productID: productID, appAccountToken: token,
                bundleID: body["bundleId"]?.stringValue ?? bundleID,
                environment: body["environment"]?.stringValue ?? "Sandbox", purchaseDate: now,
                revocationDate: body["revoked"]?.boolValue == true ? now : nil)
            s.transactions[id] = transaction
            return transaction
        }
        let payload = transaction.payload(signedDate: body["signedDate"]?.int64Value ?? now)
        switch sign(payload, body) {
        case let .signed(signed):
            return .json(
                200,
                .object([
                    ("transactionId", .string(transaction.id)), ("appAccountToken", .optional(token)),
                    ("signedTransaction", .string(signed)),
                ]))
        case let .refused(response):
            return response
        }
    }

    private func notify(_ body: JSONValue) -> SandboxResponse {
        let type = body["notificationType"]?.stringValue ?? "REFUND"
        let now = SocketIO.now() * 1000
        var transaction: Transaction?
        if let id = body["transactionId"]?.stringValue {
            transaction = state.withLock { s in
                if type == "REFUND", s.transactions[id]?.revocationDate == nil {
                    s.transactions[id]?.revocationDate = now
                }
                if type == "REFUND_REVERSED" { s.transactions[id]?.revocationDate = nil }
                return s.transactions[id]
            }
            guard transaction != nil else { return .controlError(404, "no such transaction") }
        } else if type != "TEST" {
            return .controlError(400, "transactionId is required")
        }
        var data: [(String, JSONValue)] = [
            ("appAppleId", .int(body["appAppleId"]?.int64Value ?? appAppleID)),
            ("bundleId", .string(body["bundleId"]?.stringValue ?? transaction?.bundleID ?? bundleID)),
            ("bundleVersion", .string("1")),
            ("environment", .string(body["environment"]?.stringValue ?? transaction?.environment ?? "Sandbox")),
        ]
        if let transaction {
            // The nested transaction is always genuinely signed: forgeries apply to the notification itself.
            guard case let .signed(info) = sign(transaction.payload(signedDate: now), .object([])) else {
                return .controlError(500, "signing failed")
            }
            data.append(("signedTransactionInfo", .string(info)))
        }
        let uuid = body["notificationUUID"]?.stringValue ?? SecureRandom.uuidV4()
        var members: [(String, JSONValue)] = [("notificationType", .string(type))]
        if let subtype = body["subtype"]?.stringValue { members.append(("subtype", .string(subtype))) }
        members += [
            ("notificationUUID", .string(uuid)), ("data", .object(data)), ("version", .string("2.0")),
            ("signedDate", .int(body["signedDate"]?.int64Value ?? now)),
        ]
        let signed: String
        switch sign(.object(members), body) {
        case let .signed(value): signed = value
        case let .refused(response): return response
        }
        var answer: [(String, JSONValue)] = [("notificationUUID", .string(uuid)), ("signedPayload", .string(signed))]
        if body["deliver"]?.boolValue ?? true {
            answer += deliver(signed, to: body["url"]?.stringValue ?? notificationURL)
        }
        return .json(200, .object(answer))
    }

    /// Signs with the chain `body.signer` names, then changes the payload when `body.tamper` is true.
    private func sign(_ payload: JSONValue, _ body: JSONValue) -> Signed {
        let name = body["signer"]?.stringValue ?? AppStoreCertificateChain.Signer.genuine.rawValue
        guard let signer = AppStoreCertificateChain.Signer(rawValue: name) else {
            let names = AppStoreCertificateChain.Signer.allCases.map(\.rawValue).joined(separator: "|")
            return .refused(.controlError(400, "signer must be \(names)"))
        }
        do {
            let signed = try chain.sign(payload, signer: signer)
            guard body["tamper"]?.boolValue == true else { return .signed(signed) }
            let parts = signed.split(separator: ".").map(String.init)
            guard parts.count == 3 else { return .refused(.controlError(500, "signing produced no compact JWS")) }
            let changed = payload.setting("tampered", .bool(true))
            return .signed(parts[0] + "." + Base64.urlEncode(Array(changed.serialized().utf8)) + "." + parts[2])
        } catch {
            return .refused(.controlError(500, "signing failed: \(error)"))
        }
    }

    private func deliver(_ signedPayload: String, to url: String?) -> [(String, JSONValue)] {
        guard let url else { return [("error", .string("no url and SANDBOX_WEBHOOK_TARGET is not set"))] }
        let body = JSONValue.object([("signedPayload", .string(signedPayload))])
        do throws(SandboxError) {
            let response = try HTTPClient.send(
                method: "POST", url: url,
                headers: [("Content-Type", "application/json"), ("User-Agent", "App Store Server Notifications")],
                body: Array(body.serialized().utf8), timeoutSeconds: 30)
            logger.info("appstore notification → \(response.status)")
            return [
                ("status", .int(response.status)), ("body", .string(String(decoding: response.body, as: UTF8.self))),
            ]
        } catch {
            return [("error", .string(error.message))]
        }
    }
}
