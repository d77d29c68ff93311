import Gateways
import PaymentsCore
import Testing

/// `GW_<ID>_CHECKOUT_URL` substitution (DESIGN §2).
@Suite struct CustomCheckoutURLTests {
    @Test func substitutesEveryPlaceholderURLEncoded() throws {
        let template = try CustomCheckoutURL(
            template:
                "https://pay.acme.test/checkout/{session_id}?cents={amount}&usd={amount_decimal}&ok={success_url}&back={cancel_url}"
        )
        let url = template.url(
            sessionID: "6f1c2a94-4d0e-4a51-9b57-1b2d3c4e5f60", amount: Money(cents: 1005),
            successURL: "https://app.test/done?x=1&y=é", cancelURL: "https://app.test/cancel")
        #expect(
            url
                == "https://pay.acme.test/checkout/6f1c2a94-4d0e-4a51-9b57-1b2d3c4e5f60?cents=1005&usd=10.05"
                + "&ok=https%3A%2F%2Fapp.test%2Fdone%3Fx%3D1%26y%3D%C3%A9&back=https%3A%2F%2Fapp.test%2Fcancel")
    }

    @Test func absentReturnURLsAreEmptyAndRepeatsWork() throws {
        let template = try CustomCheckoutURL(
            template: "http://127.0.0.1:8109/c/{session_id}/{session_id}?s={success_url}")
        #expect(
            template.url(sessionID: "s1", amount: Money(cents: 500), successURL: nil, cancelURL: nil)
                == "http://127.0.0.1:8109/c/s1/s1?s=")
        let plain = try CustomCheckoutURL(template: "https://pay.acme.test/")
        #expect(
            plain.url(sessionID: "s", amount: Money(cents: 1), successURL: nil, cancelURL: nil)
                == "https://pay.acme.test/")
    }

    @Test(arguments: [
        "ftp://a.test/{session_id}", "/relative/{session_id}", "https://a.test/{uid}", "https://a.test/{amount",
        "https://a.test/amount}", "https://a.test/{}", "https://a.test/ {amount}", "https://a.test/{Amount}",
    ])
    func refusesBadTemplates(template: String) {
        #expect(throws: CustomCheckoutURL.ParseError.self) { try CustomCheckoutURL(template: template) }
    }
}
