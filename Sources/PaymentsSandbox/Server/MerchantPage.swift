/// A hosted merchant page (Payeer, Anypay) that takes the payment form as a POST form body or as a GET query.
protocol MerchantPage: SandboxService {
    /// Checks one submitted payment form (decoded fields in order) and answers as the page does.
    func acceptForm(_ fields: [(String, String)]) -> SandboxResponse
}

extension MerchantPage {
    /// Serves `/merchant` and `/merchant/`: the form from the body of a POST or the query of a GET.
    func handle(_ request: SandboxRequest) -> SandboxResponse {
        guard request.path == "/merchant" || request.path == "/merchant/" else { return .text(404, "Not found") }
        switch request.method {
        case "POST": return acceptForm(FormDecoding.parse(request.body))
        case "GET": return acceptForm(request.query)
        default: return .text(405, "Method not allowed")
        }
    }
}
