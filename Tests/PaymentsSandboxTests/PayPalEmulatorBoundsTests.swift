import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

@Suite("PayPal emulator bounds")
struct PayPalEmulatorBoundsTests {
    /// A token lifetime beyond a year is refused by the control API rather than overflowing `now + ttl` at the next
    /// token request (issue 6, item 1).
    @Test(arguments: [Int64.max, 31_536_001, -1])
    func tokenTTLOutOfRangeIsRefused(_ ttl: Int64) throws {
        let paypal = try PayPalEmulator(
            clientID: "cid", secret: "sec", webhookID: "wh", port: 1, trustRootsPath: nil, webhookTarget: nil,
            logger: Logger(label: "test"))
        let set = paypal.control(makeRequest("POST", "/control/paypal/token", body: #"{"ttl":\#(ttl)}"#), ["token"])
        #expect(set.status == 400)
        let basic = "Basic " + Base64.encode(Array("cid:sec".utf8))
        let token = paypal.handle(
            makeRequest(
                "POST", "/v1/oauth2/token", headers: [("Authorization", basic)], body: "grant_type=client_credentials"))
        #expect(token.status == 200)
        #expect(try json(token)["expires_in"]?.int64Value == 32_400)
    }
}
