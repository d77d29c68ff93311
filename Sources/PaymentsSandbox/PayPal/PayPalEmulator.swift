import Logging
import PaymentsCore
import Signing

/// Emulates the PayPal REST API on its own port (research §2.6): OAuth2 client credentials (Basic check, token TTL),
/// Orders v2 create / get / capture with `PayPal-Request-Id` replay, captures, refunds and reversals, the webhook
/// signing certificates at `/v1/notifications/certs/<name>`, and signed webhook delivery.
final class PayPalEmulator: SandboxService {
    let clientID: String
    let secret: String
    /// `http://127.0.0.1:<port>`, used in links and certificate URLs.
    let base: String
    let chain: PayPalCertificateChain
    let sender: PayPalWebhookSender
    let state = Locked(PayPalStore())

    init(
        clientID: String, secret: String, webhookID: String, port: Int, trustRootsPath: String?, webhookTarget: String?,
        logger: Logger
    ) throws {
        self.clientID = clientID
        self.secret = secret
        base = "http://127.0.0.1:\(port)"
        chain = try PayPalCertificateChain(trustRootsPath: trustRootsPath)
        sender = PayPalWebhookSender(
            target: webhookTarget, webhookID: webhookID, chain: chain, apiBase: base, logger: logger)
    }

    var hasWebhookTarget: Bool { sender.url != nil }

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.segments
        // Certificate downloads carry no credentials: counting every such request, whatever its path, shows how many
        // outbound fetches the responder made for junk certificate URLs.
        if request.header("authorization") == nil { state.withLock { $0.unauthenticatedRequests += 1 } }
        if request.method == "GET", segments.count == 4, segments[0] == "v1", segments[1] == "notifications",
            segments[2] == "certs"
        {
            let name = segments[3]
            state.withLock { $0.certificateFetches[name, default: 0] += 1 }
            guard let pem = chain.pem(named: name) else { return PayPalError.notFound("cert").response }
            return SandboxResponse(
                status: 200, headers: [("Content-Type", "application/x-pem-file")], body: Array(pem.utf8))
        }
        if request.method == "POST", segments == ["v1", "oauth2", "token"] { return token(request) }
        guard isAuthorized(request) else {
            return PayPalError(
                oauthStatus: 401, error: "invalid_token", description: "Token signature verification failed"
            ).response
        }
        let result: Result<SandboxResponse, PayPalError>
        do throws(PayPalError) {
            result = .success(try route(request, segments))
        } catch {
            result = .failure(error)
        }
        flushEvents()
        switch result {
        case let .success(response): return response
        case let .failure(error): return error.response
        }
    }

    private func route(_ request: SandboxRequest, _ s: [String]) throws(PayPalError) -> SandboxResponse {
        switch (request.method, s.count) {
        case ("POST", 3) where s == ["v2", "checkout", "orders"]:
            return try createOrder(request)
        case ("GET", 4) where s[0] == "v2" && s[1] == "checkout" && s[2] == "orders":
            return try read { store throws(PayPalError) in
                guard let order = store.orders[s[3]], !order.expired else { throw PayPalError.notFound("order_id") }
                return order.json(base: base, capture: order.captureID.flatMap { store.captures[$0] })
            }
        case ("POST", 5) where s[0] == "v2" && s[1] == "checkout" && s[2] == "orders" && s[4] == "capture":
            return try captureOrder(s[3], request)
        case ("GET", 4) where s[0] == "v2" && s[1] == "payments" && s[2] == "captures":
            return try read { store throws(PayPalError) in
                guard let capture = store.captures[s[3]] else { throw PayPalError.notFound("capture_id") }
                return capture.json(base: base)
            }
        case ("GET", 4) where s[0] == "v2" && s[1] == "payments" && s[2] == "refunds":
            return try read { store throws(PayPalError) in
                // A reversal has the refund shape and is read here too (research §2.2).
                guard let refund = store.refunds[s[3]] else { throw PayPalError.notFound("refund_id") }
                return refund.json(base: base)
            }
        case ("POST", 5) where s[0] == "v2" && s[1] == "payments" && s[2] == "captures" && s[4] == "refund":
            return try refundCapture(s[3], request)
        default:
            throw PayPalError(status: 404, name: "NOT_FOUND", message: "No route for \(request.method) \(request.path)")
        }
    }

    /// `POST /v1/oauth2/token`: Basic client credentials, `grant_type=client_credentials`.
    private func token(_ request: SandboxRequest) -> SandboxResponse {
        let expected = "Basic " + Base64.encode(Array("\(clientID):\(secret)".utf8))
        guard request.header("authorization") == expected else {
            return PayPalError(oauthStatus: 401, error: "invalid_client", description: "Client Authentication failed")
                .response
        }
        guard FormDecoding.parse(request.body).contains(where: { $0.0 == "grant_type" && $0.1 == "client_credentials" })
        else {
            return PayPalError(oauthStatus: 400, error: "unsupported_grant_type", description: "Grant Type is NULL")
                .response
        }
        let hang = state.withLock { store -> Int in
            store.tokenRequests += 1
            return store.tokenHangMilliseconds
        }
        // The hang switch: the token endpoint answers only after this long (a stuck OAuth server).
        if hang > 0 { SocketIO.sleep(milliseconds: hang) }
        let token = "A21AA" + PayPalStore.makeID(40)
        let ttl = state.withLock { store -> Int64 in
            store.tokens[token] = SocketIO.now() + store.tokenTTL
            return store.tokenTTL
        }
        return .json(
            200,
            .object([
                (
                    "scope",
                    .string(
                        "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund"
                    )
                ),
                ("access_token", .string(token)), ("token_type", .string("Bearer")),
                ("app_id", .string("APP-80W284485P519543T")),
                ("expires_in", .int(ttl)), ("nonce", .string(PayPalStore.timestamp() + PayPalStore.makeID(20))),
            ]))
    }

    private func isAuthorized(_ request: SandboxRequest) -> Bool {
        guard let header = request.header("authorization"), header.hasPrefix("Bearer ") else { return false }
        let token = String(header.dropFirst(7))
        let now = SocketIO.now()
        return state.withLock { ($0.tokens[token] ?? 0) > now }
    }

    func read(_ body: (PayPalStore) throws(PayPalError) -> JSONValue) throws(PayPalError) -> SandboxResponse {
        let result = state.withLock { store -> Result<JSONValue, PayPalError> in
            do throws(PayPalError) { return .success(try body(store)) } catch { return .failure(error) }
        }
        return .json(200, try result.get())
    }

    func mutate<T>(_ body: (inout PayPalStore) throws(PayPalError) -> T) throws(PayPalError) -> T {
        let result = state.withLock { store -> Result<T, PayPalError> in
            do throws(PayPalError) { return .success(try body(&store)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Hands queued events to the sender outside the lock; delivery reports come back into the store.
    func flushEvents() {
        for record in state.withLock({ $0.takeOutbox() }) {
            sender.enqueue(record) { [self] attempt, final in
                let delivered = attempt.status.map { (200..<300).contains($0) } ?? false
                let status = delivered ? "delivered" : (final ? "failed" : "retrying")
                self.state.withLock {
                    $0.recordDelivery(
                        eventID: record.id, status: status, httpStatus: attempt.status, error: attempt.error)
                }
            }
        }
    }
}
