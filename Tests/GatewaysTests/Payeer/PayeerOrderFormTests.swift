import PaymentsCore
import Signing
import Testing

@testable import Gateways

@Suite struct PayeerOrderFormTests {
    static let environment = [
        "PAYEER_SHOP_ID": "12345", "PAYEER_SECRET_KEY": "TEST_SECRET", "PAYEER_PARAMS_KEY": "TEST_PARAMS_KEY",
        "PAYEER_ALLOWED_IPS": "185.71.65.92,185.71.65.189",
    ]

    static func configuration(_ overrides: [String: String?] = [:]) throws -> PayeerConfiguration {
        var environment = Self.environment
        for (key, value) in overrides { environment[key] = value }
        return try PayeerConfiguration(ConfigReader(environment))
    }

    @Test func readsTheConfiguration() throws {
        let configuration = try Self.configuration()
        #expect(configuration.shopID == "12345")
        #expect(configuration.secretKey.value == "TEST_SECRET")
        #expect(configuration.paramsKey?.value == "TEST_PARAMS_KEY")
        #expect(configuration.isAllowedSource("185.71.65.92"))
        #expect(!configuration.isAllowedSource("127.0.0.1"))
        #expect("\(configuration.secretKey)" == "<redacted>")
        let open = try Self.configuration(["PAYEER_ALLOWED_IPS": nil, "PAYEER_PARAMS_KEY": nil])
        #expect(open.isAllowedSource("203.0.113.1"))
        #expect(open.paramsKey == nil)
    }

    @Test(
        arguments: [
            ("PAYEER_SHOP_ID", nil), ("PAYEER_SHOP_ID", ""), ("PAYEER_SHOP_ID", "shop-1"), ("PAYEER_SECRET_KEY", nil),
            ("PAYEER_SECRET_KEY", ""),
        ] as [(String, String?)])
    func configurationErrorsNameTheVariable(key: String, value: String?) {
        let error = #expect(throws: ConfigurationError.self) { try Self.configuration([key: value]) }
        #expect(error?.variable == key)
    }

    /// The research §2.6 vector: shop 12345, order 1001, 15.00 USD, "Order 1001", no parameters.
    @Test func formWithoutParams() throws {
        let form = try PayeerOrderForm(
            configuration: try Self.configuration(["PAYEER_PARAMS_KEY": nil]), orderID: "1001",
            amount: Money(cents: 1500), description: "Order 1001", successURL: "https://shop.example/ok")
        #expect(form.description == "T3JkZXIgMTAwMQ==")
        #expect(form.params == nil)
        #expect(form.sign == "294DAC1607F4A3121080B128B55B0E599EC34218D79D1FE0EAD9DEE65FC38FEC")
        #expect(
            form.json
                == .object([
                    ("m_shop", .string("12345")), ("m_orderid", .string("1001")), ("m_amount", .string("15.00")),
                    ("m_curr", .string("USD")), ("m_desc", .string("T3JkZXIgMTAwMQ==")),
                    ("m_sign", .string("294DAC1607F4A3121080B128B55B0E599EC34218D79D1FE0EAD9DEE65FC38FEC")),
                ]))
    }

    /// The research §2.6 m_params vector (PHP's escaped slashes included, as the PHP plugins encrypt them).
    @Test func paramsVector() throws {
        let params = try PayeerOrderForm.encryptParams(
            #"{"success_url":"https:\/\/shop.example\/ok","reference":{"var1":"1"}}"#, key: Secret("TEST_PARAMS_KEY"),
            orderID: "1001")
        #expect(
            params
                == "akkb77VJQ5NTXTnB7l9RhhpBJb%2BpNat%2F4xPYAbwG06NoBcQEJndmpKuliChjI7dZzEizLF%2F03bVdK66jAkTWEUErXTrST2PUDllgnrBfXS4%3D"
        )
    }

    @Test func formWithParamsCarriesTheURLsEncryptedAndSigned() throws {
        let form = try PayeerOrderForm(
            configuration: try Self.configuration(), orderID: "6f1c2a3e-0000-4000-8000-000000000001",
            amount: Money(cents: 1000), description: "Top-up", successURL: "https://app.example/ok?x=1&y=ü",
            failURL: "https://app.example/fail")
        #expect(form.amount == "10.00")
        #expect(form.currency == "USD")
        let params = try #require(form.params)
        #expect(form.json["m_params"]?.stringValue == params)
        #expect(form.json["m_cipher_method"]?.stringValue == "AES-256-CBC")
        #expect(
            form.sign
                == PayeerSignature(secretKey: Secret("TEST_SECRET")).formSign(
                    shop: "12345", orderID: form.orderID, amount: "10.00", currency: "USD",
                    description: form.description, params: params))
        #expect(form.sign == form.sign.uppercased())
        // Decrypt as Payeer does: URL-decode, base64-decode, AES-256-CBC with md5(key + order id) and a zero IV.
        let key = Array(Hex.encode(Digest.md5(Array("TEST_PARAMS_KEY\(form.orderID)".utf8))).utf8)
        let sealed = try #require(Base64.decode(FormEncoding.decode(params, plusAsSpace: false)))
        let plain = try AES.decrypt256CBC(sealed, key: key, iv: [UInt8](repeating: 0, count: 16))
        let json = try JSONValue.parse(plain)
        #expect(json["success_url"]?.stringValue == "https://app.example/ok?x=1&y=ü")
        #expect(json["fail_url"]?.stringValue == "https://app.example/fail")
        #expect(!params.contains("+") && !params.contains("/") && !params.contains("="))
    }

    @Test func noURLsMeansNoParams() throws {
        let form = try PayeerOrderForm(
            configuration: try Self.configuration(), orderID: "1001", amount: Money(cents: 1500),
            description: "Order 1001")
        #expect(form.params == nil)
        #expect(form.json["m_cipher_method"] == nil)
        #expect(form.sign == "294DAC1607F4A3121080B128B55B0E599EC34218D79D1FE0EAD9DEE65FC38FEC")
    }

    @Test(arguments: ["", "a:b", "a|b", String(repeating: "x", count: 65)])
    func malformedOrderIDIsRefused(orderID: String) throws {
        let configuration = try Self.configuration()
        #expect(throws: PayeerOrderForm.Failure.malformedOrderID) {
            try PayeerOrderForm(
                configuration: configuration, orderID: orderID, amount: Money(cents: 500), description: "x")
        }
    }
}
