import PaymentsCore
import Signing

extension GooglePlayEmulator {
    /// `/control/googleplay/…` on the control port:
    /// - `POST purchases {productId, uid | obfuscatedExternalAccountId, state?, packageName?}` creates a purchase
    ///   (`state` purchased (default), pending or canceled; the account id is the hex SHA-256 of `uid`) and answers
    ///   `{purchaseToken, orderId, …}`;
    /// - `GET purchases/<token>` shows it; `POST purchases/<token> {state}` completes or cancels it;
    /// - `POST fault {status}` makes every Android Publisher call answer that 5xx status (`0` or null clears it);
    /// - `GET calls` counts the calls answered (`token`, `get`, `consume`, `acknowledge`);
    /// - `POST notify {…}` sends one Pub/Sub push (see `notify`); `POST mint {…}` answers `{token}`, an OIDC token
    ///   alone, with the same overrides.
    func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        let body = JSONValue.controlBody(request)
        switch (request.method, path) {
        case ("POST", ["purchases"]):
            guard let body else { return .controlError(400, "body must be a JSON object") }
            return createPurchase(body)
        case ("GET", let path) where path.count == 2 && path[0] == "purchases":
            return purchases.withLock { $0[path[1]] }.map { .json(200, $0.summary) }
                ?? .controlError(404, "no purchase \(path[1])")
        case ("POST", let path) where path.count == 2 && path[0] == "purchases":
            guard let raw = body?["state"]?.stringValue, let state = GooglePlaySandboxPurchase.State(rawValue: raw)
            else {
                return .controlError(400, "expected {\"state\": \"purchased|pending|canceled\"}")
            }
            return setState(path[1], state)
        case ("POST", ["fault"]):
            let status = body?["status"]?.int64Value ?? 0
            guard status == 0 || (500...599).contains(status) else {
                return .controlError(400, "status must be 500...599, or 0 to clear")
            }
            fault.withLock { $0 = status == 0 ? nil : Int(status) }
            return .json(200, .object([("status", .int(status))]))
        case ("GET", ["calls"]):
            return .json(
                200, .object(calls.withLock { $0 }.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))
        case ("POST", ["notify"]):
            guard let body else { return .controlError(400, "body must be a JSON object") }
            return notify(body)
        case ("POST", ["mint"]):
            guard let body else { return .controlError(400, "body must be a JSON object") }
            do {
                let url = body["url"]?.stringValue ?? pushURL ?? ""
                return .json(200, .object([("token", .string(try oidcToken(body, url: url)))]))
            } catch {
                return .controlError(400, "\(error)")
            }
        default:
            return .controlError(404, "no route for \(request.method) \(request.path)")
        }
    }

    /// Where pushes go unless a `url` is given.
    var pushURL: String? { webhookTarget.map { $0 + "/googleplay-handleWebhookEvents" } }

    private func createPurchase(_ body: JSONValue) -> SandboxResponse {
        guard let productID = body["productId"]?.stringValue, !productID.isEmpty else {
            return .controlError(400, "productId is required")
        }
        let raw = body["state"]?.stringValue ?? "purchased"
        guard let state = GooglePlaySandboxPurchase.State(rawValue: raw) else {
            return .controlError(400, "state must be purchased|pending|canceled")
        }
        let accountID =
            body["obfuscatedExternalAccountId"]?.stringValue
            ?? body["uid"]?.stringValue.map { Hex.encode(Digest.sha256(Array($0.utf8))) }
        let digits = (0..<4).map { _ in String(Int.random(in: 1000...9999)) }
        let purchase = GooglePlaySandboxPurchase(
            purchaseToken: RandomID.make("", length: 24) + ".AO-J1O" + RandomID.make("", length: 64),
            packageName: body["packageName"]?.stringValue ?? settings.packageName, productID: productID,
            orderID: "GPA.\(digits[0])-\(digits[1])-\(digits[2])-\(digits[3])\(Int.random(in: 0...9))",
            obfuscatedAccountID: accountID, purchaseTimeMillis: SocketIO.now() * 1000, state: state)
        purchases.withLock { $0[purchase.purchaseToken] = purchase }
        return .json(200, purchase.summary)
    }

    private func setState(_ token: String, _ state: GooglePlaySandboxPurchase.State) -> SandboxResponse {
        purchases.withLock { all -> SandboxResponse in
            guard var purchase = all[token] else { return .controlError(404, "no purchase \(token)") }
            purchase.state = state
            all[token] = purchase
            return .json(200, purchase.summary)
        }
    }
}
