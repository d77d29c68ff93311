import Foundation
import Gateways
import Logging
import PaymentsCore
import Signing
import Testing

@testable import PaymentsSandbox

/// The configurable custom gateway: its deliveries, built from the same `GW_<ID>_*` settings as the responder reads,
/// verify and parse with the responder's own code, and its forgeries fail that verification.
@Suite("Custom gateway emulator")
struct CustomGatewayEmulatorTests {
    static func environment(_ scheme: String, _ extra: [String: String] = [:]) -> [String: String] {
        var values = [
            "CUSTOM_GATEWAYS": "acme", "GW_ACME_SCHEME": scheme,
            "GW_ACME_SECRET": scheme == "standard" ? "whsec_" + Base64.encode(Array("acme key".utf8)) : "acme_secret",
        ]
        for (suffix, value) in extra { values["GW_ACME_" + suffix] = value }
        return values
    }

    /// The emulator and the responder-side configuration of one environment.
    static func make(_ values: [String: String], target: String? = nil) throws
        -> (CustomGatewayEmulator, CustomGatewayConfiguration)
    {
        let reader = ConfigReader(values)
        let emulator = CustomGatewayEmulator(
            gateways: try CustomSandboxGateway.all(reader), webhookTarget: target, logger: Logger(label: "test"))
        let configuration = try #require(try CustomGatewaysConfiguration(reader).gateway("acme"))
        return (emulator, configuration)
    }

    static func control(_ emulator: CustomGatewayEmulator, _ path: String, _ body: String = "", method: String = "POST")
        -> SandboxResponse
    {
        let request = makeRequest(method, "/control/custom/" + path, body: body)
        return emulator.control(request, path.split(separator: "/").map(String.init))
    }

    /// A held (not sent) event: its body bytes and headers.
    static func held(_ emulator: CustomGatewayEmulator, _ kind: String, _ fields: String) throws
        -> (body: [UInt8], headers: [String: String])
    {
        let response = control(emulator, "acme/\(kind)", #"{"deliver":false,"# + fields + "}")
        try #require(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        let event = try json(response)
        #expect(event["delivery"]?.stringValue == "held")
        let body = try #require(event["body"]?.stringValue)
        var headers: [String: String] = [:]
        for (name, value) in try #require(event["headers"]?.members) { headers[name.lowercased()] = value.stringValue }
        return (Array(body.utf8), headers)
    }

    static func verify(_ configuration: CustomGatewayConfiguration, _ event: (body: [UInt8], headers: [String: String]))
        throws -> CustomNotification
    {
        let webhookID = try configuration.signature.verify(body: event.body, now: SocketIO.now()) {
            event.headers[$0.lowercased()]
        }
        return try CustomNotification(body: event.body, webhookID: webhookID, configuration: configuration)
    }

    @Test("emulates listed gateways and any with a GW_<ID>_SECRET, with the responder's defaults")
    func readsSettings() throws {
        var values = Self.environment("hex")
        values["CUSTOM_GATEWAYS"] = ""
        values["GW_SHOP_X_SECRET"] = "s"
        let gateways = try CustomSandboxGateway.all(ConfigReader(values))
        #expect(gateways.map(\.id).sorted() == ["acme", "shop_x"])
        let shop = try #require(gateways.first { $0.id == "shop_x" })
        #expect(shop.scheme == "sha256")
        #expect(shop.header == "X-Gateway-Signature")
        #expect(shop.amount.description == "/data/amount")
        #expect(shop.paidStatus == "paid")
        #expect(throws: ConfigurationError.self) {
            try CustomSandboxGateway.all(ConfigReader(["GW_A_SECRET": "s", "GW_A_SCHEME": "md5"]))
        }
        #expect(throws: ConfigurationError.self) {
            try CustomSandboxGateway.all(ConfigReader(["GW_A_SECRET": "s", "GW_A_AMOUNT": "amount"]))
        }
    }

    @Test(
        "paid, failed and refund events verify and parse with the responder's code in every scheme",
        arguments: ["hex", "sha256", "standard"])
    func genuineEvents(scheme: String) throws {
        let (emulator, configuration) = try Self.make(Self.environment(scheme))
        let page = emulator.handle(
            makeRequest("GET", "/checkout/acme?session_id=s-1&amount=1250&success_url=https%3A%2F%2Fa.test"))
        #expect(page.status == 200)
        let paid = try Self.verify(configuration, Self.held(emulator, "pay", #""session_id":"s-1""#))
        #expect(paid.statusClass == .paid)
        #expect(paid.sessionRef == "s-1")
        #expect(paid.amount == Money(cents: 1250))
        #expect(paid.currency == "USD")
        let paymentID = try #require(paid.paymentID)
        let refund = try Self.verify(
            configuration, Self.held(emulator, "refund", #""session_id":"s-1","refund_amount":250"#))
        #expect(refund.statusClass == .refund)
        #expect(refund.paymentID == paymentID)
        #expect(refund.refundAmount == Money(cents: 250))
        #expect(refund.refundID != nil)
        let failed = try Self.verify(configuration, Self.held(emulator, "fail", #""session_id":"s-2""#))
        #expect(failed.statusClass == .failed)
        #expect(failed.eventID != paid.eventID)
    }

    @Test("custom pointers, decimal amounts and status lists shape the body")
    func customLayout() throws {
        let (emulator, configuration) = try Self.make(
            Self.environment(
                "sha256",
                [
                    "SIGNATURE_HEADER": "X-Acme-Signature", "EVENT_ID": "/event/id", "SESSION_REF": "/order/ref",
                    "PAYMENT_ID": "/order/txn", "AMOUNT": "/order/total", "AMOUNT_FORMAT": "decimal",
                    "CURRENCY": "/order/cur", "STATUS": "/state", "PAID_STATUSES": "succeeded,captured",
                ]))
        let event = try Self.held(emulator, "pay", #""session_id":"s-9","amount":1005"#)
        #expect(event.headers["x-acme-signature"]?.hasPrefix("sha256=") == true)
        let document = try JSONValue.parse(event.body)
        #expect(document.at("order.total")?.stringValue == "10.05")
        #expect(document["state"]?.stringValue == "succeeded")
        let parsed = try Self.verify(configuration, event)
        #expect(parsed.amount == Money(cents: 1005))
        #expect(parsed.statusClass == .paid)
    }

    @Test(
        "forgeries fail the responder's verification",
        arguments: [
            #""secret":"wrong""#, #""tamper_amount":99999"#, #""tamper_status":"refunded""#,
            #""omit_signature":true"#, #""reorder":true"#,
        ])
    func forgeries(option: String) throws {
        for scheme in ["hex", "sha256", "standard"] {
            let (emulator, configuration) = try Self.make(Self.environment(scheme))
            let forged =
                option.contains("secret") && scheme == "standard"
                ? #""secret":"whsec_"# + Base64.encode(Array("wrong".utf8)) + "\"" : option
            let event = try Self.held(emulator, "pay", #""session_id":"s-1","amount":500,"# + forged)
            #expect(throws: CustomWebhookSignature.Failure.self, "\(scheme) \(option)") {
                try configuration.signature.verify(body: event.body, now: SocketIO.now()) {
                    event.headers[$0.lowercased()]
                }
            }
        }
    }

    @Test("a stale webhook-timestamp fails under standard")
    func staleTimestamp() throws {
        let (emulator, configuration) = try Self.make(Self.environment("standard"))
        let event = try Self.held(emulator, "pay", #""session_id":"s-1","amount":500,"timestamp":1000"#)
        #expect(throws: CustomWebhookSignature.Failure.timestampOutsideTolerance) {
            try configuration.signature.verify(body: event.body, now: SocketIO.now()) { event.headers[$0.lowercased()] }
        }
    }

    @Test("deliveries reach <target>/<id>-handleWebhookEvents with the signature headers")
    func delivery() throws {
        let receiver = RecordingService()
        let server = try HTTPServer(name: "hook", port: 0, service: receiver, logger: Logger(label: "test"))
        server.start()
        defer { server.stop() }
        let (emulator, configuration) = try Self.make(
            Self.environment("standard"), target: "http://127.0.0.1:\(server.port)/api")
        let response = Self.control(emulator, "acme/pay", #"{"session_id":"s-1","amount":700}"#)
        #expect(try json(response)["delivery"]?.stringValue == "delivered")
        #expect(try json(response)["http_status"]?.int64Value == 200)
        let request = try #require(receiver.wait(for: 1).first)
        #expect(request.path == "/api/acme-handleWebhookEvents")
        #expect(request.header("content-type") == "application/json")
        let headers = Dictionary(request.headers, uniquingKeysWith: { first, _ in first })
        let parsed = try Self.verify(configuration, (request.body, headers))
        #expect(parsed.amount == Money(cents: 700))
        let events = try json(Self.control(emulator, "acme/events", method: "GET"))
        #expect(events["events"]?.arrayValue?.count == 1)
        let checkouts = try json(Self.control(emulator, "acme/checkouts", method: "GET"))
        #expect(checkouts["checkouts"]?.arrayValue?.count == 1)
    }

    @Test("control errors")
    func controlErrors() throws {
        let (emulator, _) = try Self.make(Self.environment("hex"))
        #expect(Self.control(emulator, "nope/pay", #"{"session_id":"s"}"#).status == 404)
        #expect(Self.control(emulator, "acme/pay", #"{}"#).status == 400)
        #expect(Self.control(emulator, "acme/pay", #"{"session_id":"never-seen"}"#).status == 400)
        #expect(Self.control(emulator, "acme/event", #"{"session_id":"s"}"#).status == 400)
        #expect(Self.control(emulator, "acme/pay", "[1]").status == 400)
        #expect(Self.control(emulator, "acme/reset").status == 200)
        #expect(emulator.handle(makeRequest("GET", "/checkout/acme")).status == 400)
        #expect(emulator.handle(makeRequest("GET", "/checkout/other?session_id=s")).status == 404)
        let list = try json(emulator.control(makeRequest("GET", "/control/custom"), []))
        #expect(list["gateways"]?.arrayValue?.count == 1)
        let pointers = Self.environment("hex", ["AMOUNT": "/data", "STATUS": "/data/status"])
        let (conflicting, _) = try Self.make(pointers)
        #expect(Self.control(conflicting, "acme/pay", #"{"session_id":"s","amount":1}"#).status == 409)
    }
}
