import PaymentsCore

/// The control port: Firebase certs and minting, reCAPTCHA siteverify, health, every `/control/...` operator endpoint,
/// and the live status demo page (`/demo/events`).
struct ControlService: SandboxService {
    let firebase: FirebaseEmulator
    let recaptcha: RecaptchaEmulator
    let stripe: StripeEmulator
    let retail: RetailEmulator
    let cryptomus: CryptomusEmulator
    let paypal: PayPalEmulator
    let appStore: AppStoreEmulator
    let googlePlay: GooglePlayEmulator
    let custom: CustomGatewayEmulator
    let payeer: PayeerEmulator
    let anypay: AnypayEmulator

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.segments
        switch (request.method, segments.first ?? "") {
        case ("GET", "firebase") where segments == ["firebase", "certs"]:
            return firebase.certs()
        case ("POST", "firebase") where segments == ["firebase", "mint"]:
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            return firebase.mint(body)
        case ("POST", "recaptcha") where segments == ["recaptcha", "api", "siteverify"]:
            return recaptcha.siteverify(request)
        case (_, "control"):
            return control(request, Array(segments.dropFirst()))
        case ("GET", "demo") where segments == ["demo", "events"]:
            return EventsDemoPage.response()
        default:
            return .controlError(404, "no route for \(request.method) \(request.path)")
        }
    }

    private func control(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        switch (request.method, path.first ?? "") {
        case ("GET", "health") where path.count == 1:
            return .json(200, .object([("status", .string("ok"))]))
        case ("POST", "recaptcha") where path.count == 1:
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            return recaptcha.control(body)
        case ("POST", "firebase") where path.count == 1:
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            return firebase.control(body)
        case (_, "stripe"):
            return stripe.control(request, Array(path.dropFirst()))
        case (_, "retail"):
            return retailControl(request, Array(path.dropFirst()))
        case (_, "cryptomus"):
            return cryptomus.control(request, Array(path.dropFirst()))
        case (_, "paypal"):
            return paypal.control(request, Array(path.dropFirst()))
        case (_, "appstore"):
            return appStore.control(request, Array(path.dropFirst()))
        case (_, "googleplay"):
            return googlePlay.control(request, Array(path.dropFirst()))
        case (_, "custom"):
            return custom.control(request, Array(path.dropFirst()))
        case (_, "payeer"):
            return payeer.control(request, Array(path.dropFirst()))
        case (_, "anypay"):
            return anypay.control(request, Array(path.dropFirst()))
        default:
            return .controlError(404, "no route for \(request.method) \(request.path)")
        }
    }

    private func retailControl(_ request: SandboxRequest, _ path: [String]) -> SandboxResponse {
        switch (request.method, path) {
        case ("GET", []): return retail.status()
        case ("POST", []):
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            return retail.setMode(body)
        case ("GET", ["transactions"]): return retail.transactions(customerID: request.queryValue("customer_id"))
        case ("POST", ["reset"]): return retail.reset()
        case ("GET", ["reject"]): return retail.rejections()
        case ("POST", ["reject"]):
            guard let body = JSONValue.controlBody(request) else {
                return .controlError(400, "body must be a JSON object")
            }
            return retail.setRejection(body)
        default: return .controlError(404, "no route for \(request.method) \(request.path)")
        }
    }
}
