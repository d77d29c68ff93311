import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

/// A result handler that answers as the backend will: `OK`, for POST forms and GET queries alike.
final class AnypayReceiver: SandboxService {
    let requests = Locked<[SandboxRequest]>([])

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        requests.withLock { $0.append(request) }
        return .text(200, "OK")
    }
}

@Suite("Anypay emulator")
struct AnypayEmulatorTests {
    static let secret = "TEST_SECRET_KEY"

    static func make(target: String? = nil) -> AnypayEmulator {
        AnypayEmulator(merchantID: "1399", secretKey: secret, webhookTarget: target, logger: Logger(label: "test"))
    }

    static func sha256(_ values: [String]) -> String {
        Hex.encode(Digest.sha256(Array((values + [secret]).joined(separator: ":").utf8)))
    }

    /// A form for pay_id 12345, 10.00 USD, desc "Test", no URLs.
    static func form(sign: String? = nil) -> String {
        let fields = [
            ("merchant_id", "1399"), ("pay_id", "12345"), ("amount", "10.00"), ("currency", "USD"), ("desc", "Test"),
            ("success_url", ""), ("fail_url", ""),
        ]
        return FormEncoding.encode(fields + [("sign", sign ?? sha256(fields.map(\.1)))])
    }

    /// The notification sign the backend checks: `currency:amount:pay_id:merchant_id:status:key`.
    static func notificationSign(_ fields: [(String, String)]) -> String {
        func value(_ name: String) -> String { fields.first { $0.0 == name }?.1 ?? "" }
        return sha256([value("currency"), value("amount"), value("pay_id"), "1399", value("status")])
    }

    func pay(_ anypay: AnypayEmulator, _ body: String) throws -> JSONValue {
        try json(anypay.control(makeRequest("POST", "/control/anypay/pay", body: body), ["pay"]))
    }

    static func fields(_ sent: JSONValue) throws -> [(String, String)] {
        try #require(sent["fields"]?.members).map { ($0.0, $0.1.stringValue ?? "") }
    }

    @Test("the merchant page takes a form signed with the research §3.6 rule, by POST or GET")
    func merchantPage() throws {
        let anypay = Self.make()
        #expect(
            Self.sha256(["1399", "12345", "100.00", "RUB", "Test", "", ""])
                == "c4f3753172f120437cbc048a67238ab8ba926668ed4160b87332034fbbb223c2")
        let posted = anypay.handle(makeRequest("POST", "/merchant", body: Self.form()))
        #expect(posted.status == 200)
        #expect(try json(posted)["status"]?.stringValue == "waiting")
        #expect(anypay.handle(makeRequest("GET", "/merchant?" + Self.form())).status == 200)
        #expect(anypay.handle(makeRequest("POST", "/merchant", body: Self.form(sign: "00"))).status == 400)
        let md5 = Hex.encode(Digest.md5(Array("USD:10.00:\(Self.secret):1399:12345".utf8)))
        #expect(anypay.handle(makeRequest("POST", "/merchant", body: Self.form(sign: md5))).status == 400)
    }

    @Test("pay POSTs or GETs the signed notification and expects OK")
    func pay() throws {
        let receiver = AnypayReceiver()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let anypay = Self.make(target: "http://127.0.0.1:\(server.port)/api")
        #expect(anypay.handle(makeRequest("POST", "/merchant", body: Self.form())).status == 200)
        let posted = try pay(anypay, #"{"pay_id":"12345"}"#)
        #expect(posted["delivery_status"]?.stringValue == "delivered")
        let got = try pay(anypay, #"{"pay_id":"12345","http_method":"GET","test":true}"#)
        #expect(got["delivery_status"]?.stringValue == "delivered")
        let requests = receiver.requests.withLock { $0 }
        #expect(requests.count == 2)
        #expect(requests.map(\.method) == ["POST", "GET"])
        #expect(requests.allSatisfy { $0.path == "/api/anypay-handleWebhookEvents" })
        let postedFields = FormDecoding.parse(try #require(requests.first).body)
        #expect(
            postedFields.map(\.0) == [
                "merchant_id", "transaction_id", "pay_id", "amount", "currency", "profit", "email", "method", "status",
                "test", "sign",
            ])
        #expect(postedFields.last?.1 == Self.notificationSign(postedFields))
        #expect(postedFields.first { $0.0 == "test" }?.1 == "0")
        let queryFields = try #require(requests.last).query
        #expect(queryFields.first { $0.0 == "test" }?.1 == "1")
        #expect(queryFields.last?.1 == Self.notificationSign(queryFields))
        let transactionIDs = Set([postedFields, queryFields].map { $0.first { $0.0 == "transaction_id" }?.1 })
        #expect(transactionIDs.count == 1)
    }

    @Test("forgeries: each breaks the signature in its own way and leaves the payment waiting")
    func forgeries() throws {
        let anypay = Self.make()
        #expect(anypay.handle(makeRequest("POST", "/merchant", body: Self.form())).status == 200)
        func sent(_ forge: String) throws -> [(String, String)] {
            let answer = try pay(anypay, #"{"pay_id":"12345","forge":"\#(forge)"}"#)
            #expect(answer["forged"]?.stringValue == forge)
            return try Self.fields(answer)
        }
        func genuine(_ fields: [(String, String)]) -> Bool {
            fields.first { $0.0 == "sign" }?.1 == Self.notificationSign(fields)
        }
        #expect(!genuine(try sent("wrong_secret")))
        let amount = try sent("tampered_amount")
        #expect(amount.first { $0.0 == "amount" }?.1 == "10.01")
        #expect(!genuine(amount))
        let status = try sent("tampered_status")
        #expect(status.first { $0.0 == "status" }?.1 == "canceled")
        #expect(!genuine(status))
        #expect(try sent("missing_sign").allSatisfy { $0.0 != "sign" })
        let swapped = try sent("swapped_fields")
        #expect(!genuine(swapped))
        #expect(swapped.last?.1 == Self.sha256(["10.00", "USD", "12345", "1399", "paid"]))
        let md5 = try sent("legacy_md5")
        #expect(md5.last?.1 == Hex.encode(Digest.md5(Array("1399:10.00:12345:\(Self.secret)".utf8))))
        let payments = try json(anypay.control(makeRequest("GET", "/control/anypay/payments"), ["payments"]))
        #expect(payments["payments"]?.arrayValue?.first?["status"]?.stringValue == "waiting")
        let unknown = anypay.control(
            makeRequest("POST", "/control/anypay/pay", body: #"{"pay_id":"12345","forge":"nope"}"#), ["pay"])
        #expect(unknown.status == 400)
    }

    @Test("pay can report another amount, currency or status, genuinely signed")
    func overrides() throws {
        let anypay = Self.make()
        #expect(anypay.handle(makeRequest("POST", "/merchant", body: Self.form())).status == 200)
        let answer = try pay(anypay, #"{"pay_id":"12345","amount":"9.99","currency":"RUB","status":"refund"}"#)
        let fields = try Self.fields(answer)
        #expect(fields.first { $0.0 == "amount" }?.1 == "9.99")
        #expect(fields.first { $0.0 == "currency" }?.1 == "RUB")
        #expect(fields.last?.1 == Self.notificationSign(fields))
        #expect(
            anypay.control(makeRequest("POST", "/control/anypay/pay", body: #"{"pay_id":"1"}"#), ["pay"]).status == 404)
    }
}
