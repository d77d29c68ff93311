import Foundation
import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

/// A status handler that answers as the backend will: `<m_orderid>|success` for every form it receives.
final class PayeerReceiver: SandboxService {
    let requests = Locked<[SandboxRequest]>([])

    func handle(_ request: SandboxRequest) -> SandboxResponse {
        requests.withLock { $0.append(request) }
        let orderID = FormDecoding.parse(request.body).first { $0.0 == "m_orderid" }?.1 ?? ""
        return .text(200, orderID + "|success")
    }
}

@Suite("Payeer emulator")
struct PayeerEmulatorTests {
    static let secret = "TEST_SECRET"

    static func make(target: String? = nil) -> PayeerEmulator {
        PayeerEmulator(
            shopID: "12345", secretKey: secret, paramsKey: "TEST_PARAMS_KEY", webhookTarget: target,
            logger: Logger(label: "test"))
    }

    static func sha256Upper(_ values: [String]) -> String {
        Hex.encode(Digest.sha256(Array((values + [secret]).joined(separator: ":").utf8))).uppercased()
    }

    /// The research §2.6 form (order 1001, 15.00 USD), optionally with its m_params vector.
    static func form(params: Bool = false, sign: String? = nil) -> String {
        let encrypted =
            "akkb77VJQ5NTXTnB7l9RhhpBJb%2BpNat%2F4xPYAbwG06NoBcQEJndmpKuliChjI7dZzEizLF%2F03bVdK66jAkTWEUErXTrST2PUDllgnrBfXS4%3D"
        var fields = [
            ("m_shop", "12345"), ("m_orderid", "1001"), ("m_amount", "15.00"), ("m_curr", "USD"),
            ("m_desc", "T3JkZXIgMTAwMQ=="),
        ]
        if params { fields.append(("m_params", encrypted)) }
        fields.append(("m_sign", sign ?? sha256Upper(fields.map(\.1))))
        if params { fields.append(("m_cipher_method", "AES-256-CBC")) }
        return FormEncoding.encode(fields)
    }

    func control(_ payeer: PayeerEmulator, _ action: String, _ body: String) throws -> JSONValue {
        try json(payeer.control(makeRequest("POST", "/control/payeer/\(action)", body: body), [action]))
    }

    @Test("the merchant page takes a signed form by POST or GET and decrypts m_params")
    func merchantPage() throws {
        let payeer = Self.make()
        let posted = payeer.handle(makeRequest("POST", "/merchant/", body: Self.form(params: true)))
        #expect(posted.status == 200)
        let order = try json(posted)
        #expect(order["m_orderid"]?.stringValue == "1001")
        #expect(order["description"]?.stringValue == "Order 1001")
        #expect(order["success_url"]?.stringValue == "https://shop.example/ok")
        #expect(order["status"]?.stringValue == "pending")
        let viaGet = payeer.handle(makeRequest("GET", "/merchant/?" + Self.form()))
        #expect(viaGet.status == 200)
    }

    @Test("the merchant page refuses a wrong or lowercase sign, another shop and a malformed amount")
    func merchantPageRefusals() {
        let payeer = Self.make()
        let wrong = String(repeating: "A", count: 64)
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: Self.form(sign: wrong))).status == 400)
        let lower = Self.sha256Upper(["12345", "1001", "15.00", "USD", "T3JkZXIgMTAwMQ=="]).lowercased()
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: Self.form(sign: lower))).status == 400)
        let otherShop = Self.form().replacingOccurrences(of: "m_shop=12345", with: "m_shop=1")
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: otherShop)).status == 400)
        let fields = [("m_shop", "12345"), ("m_orderid", "1"), ("m_amount", "15.5"), ("m_curr", "USD"), ("m_desc", "")]
        let unformatted = FormEncoding.encode(fields + [("m_sign", Self.sha256Upper(fields.map(\.1)))])
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: unformatted)).status == 400)
    }

    @Test("pay delivers the ten signed fields, m_params and an uppercase m_sign; redeliver repeats the operation")
    func pay() throws {
        let receiver = PayeerReceiver()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let payeer = Self.make(target: "http://127.0.0.1:\(server.port)/api")
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: Self.form(params: true))).status == 200)
        let sent = try control(payeer, "pay", #"{"m_orderid":"1001"}"#)
        #expect(sent["delivery_status"]?.stringValue == "delivered")
        #expect(sent["answer"]?.stringValue == "1001|success")
        let request = try #require(receiver.requests.withLock { $0.first })
        #expect(request.path == "/api/payeer-handleWebhookEvents")
        #expect(request.header("content-type") == "application/x-www-form-urlencoded")
        let fields = FormDecoding.parse(request.body)
        #expect(
            fields.map(\.0) == [
                "m_operation_id", "m_operation_ps", "m_operation_date", "m_operation_pay_date", "m_shop", "m_orderid",
                "m_amount", "m_curr", "m_desc", "m_status", "m_params", "m_sign",
            ])
        #expect(fields.last?.1 == Self.sha256Upper(fields.dropLast().map(\.1)))
        let date = try #require(fields.first { $0.0 == "m_operation_date" }?.1)
        #expect(date.count == 19 && date.dropFirst(2).first == "." && date.dropFirst(10).first == " ")
        let operationID = try #require(fields.first?.1)
        let again = try control(payeer, "redeliver", #"{"m_operation_id":"\#(operationID)"}"#)
        #expect(again["fields"]?["m_operation_id"]?.stringValue == operationID)
        #expect(receiver.requests.withLock { $0.count } == 2)
        let orders = try json(payeer.control(makeRequest("GET", "/control/payeer/orders"), ["orders"]))
        #expect(orders["orders"]?.arrayValue?.first?["status"]?.stringValue == "success")
    }

    @Test("forgeries: each breaks the signature in its own way and leaves the order unpaid")
    func forgeries() throws {
        let payeer = Self.make()
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: Self.form())).status == 200)
        func fields(_ forge: String) throws -> [(String, String)] {
            let sent = try control(payeer, "pay", #"{"m_orderid":"1001","forge":"\#(forge)"}"#)
            #expect(sent["delivery_status"]?.stringValue == "no_target")
            #expect(sent["forged"]?.stringValue == forge)
            return try #require(sent["fields"]?.members).map { ($0.0, $0.1.stringValue ?? "") }
        }
        func genuine(_ fields: [(String, String)]) -> Bool {
            fields.last?.1 == Self.sha256Upper(fields.dropLast().map(\.1))
        }
        let wrongSecret = try fields("wrong_secret")
        #expect(!genuine(wrongSecret))
        let tamperedAmount = try fields("tampered_amount")
        #expect(tamperedAmount.first { $0.0 == "m_amount" }?.1 == "15.01")
        #expect(!genuine(tamperedAmount))
        let tamperedStatus = try fields("tampered_status")
        #expect(tamperedStatus.first { $0.0 == "m_status" }?.1 == "fail")
        #expect(!genuine(tamperedStatus))
        #expect(try fields("missing_sign").allSatisfy { $0.0 != "m_sign" })
        let swapped = try fields("swapped_fields")
        #expect(!genuine(swapped))
        var reordered = swapped.dropLast().map(\.1)
        reordered.swapAt(6, 7)
        #expect(swapped.last?.1 == Self.sha256Upper(reordered))
        let refused = payeer.control(
            makeRequest("POST", "/control/payeer/pay", body: #"{"m_orderid":"1001","forge":"legacy_md5"}"#), ["pay"])
        #expect(refused.status == 400)
        let orders = try json(payeer.control(makeRequest("GET", "/control/payeer/orders"), ["orders"]))
        #expect(orders["orders"]?.arrayValue?.first?["status"]?.stringValue == "pending")
    }

    @Test("pay can report another amount or status, genuinely signed; unknown orders are 404")
    func overrides() throws {
        let payeer = Self.make()
        #expect(payeer.handle(makeRequest("POST", "/merchant/", body: Self.form())).status == 200)
        let sent = try control(
            payeer, "pay", #"{"m_orderid":"1001","m_amount":"14.99","status":"fail","deliver":false}"#)
        #expect(sent["delivery_status"]?.stringValue == "not_sent")
        let fields = try #require(sent["fields"]?.members).map { ($0.0, $0.1.stringValue ?? "") }
        #expect(fields.first { $0.0 == "m_amount" }?.1 == "14.99")
        #expect(fields.first { $0.0 == "m_status" }?.1 == "fail")
        #expect(fields.last?.1 == Self.sha256Upper(fields.dropLast().map(\.1)))
        let unknown = payeer.control(makeRequest("POST", "/control/payeer/pay", body: #"{"m_orderid":"9"}"#), ["pay"])
        #expect(unknown.status == 404)
    }
}
