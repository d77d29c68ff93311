import Gateways
import PaymentsCore
import Testing

/// `CUSTOM_GATEWAYS` and `GW_<ID>_*`: defaults of DESIGN §2 and start-up errors that name the variable.
@Suite struct CustomGatewaysConfigurationTests {
    @Test func noGatewaysWhenTheListIsEmptyOrUnset() throws {
        #expect(try CustomGatewaysConfiguration(ConfigReader([:])).gateways.isEmpty)
        let ignored = ["CUSTOM_GATEWAYS": "", "GW_ACME_SCHEME": "bogus"]
        #expect(try CustomGatewaysConfiguration(ConfigReader(ignored)).gateways.isEmpty)
    }

    @Test func defaults() throws {
        let acme = try CustomFixtures.configuration()
        #expect(acme.id == "acme")
        #expect(acme.signature.scheme == .sha256)
        #expect(acme.signature.header == "x-gateway-signature")
        #expect(acme.signature.toleranceSeconds == 300)
        #expect(acme.eventID == .pointer(try JSONPointer("/id")))
        #expect(acme.sessionRef.description == "/data/reference")
        #expect(acme.paymentID.description == "/data/id")
        #expect(acme.amount.description == "/data/amount")
        #expect(acme.amountFormat == .cents)
        #expect(acme.currency.description == "/data/currency")
        #expect(acme.status.description == "/data/status")
        #expect(acme.refundID.description == "/data/refund_id")
        #expect(acme.refundAmount.description == "/data/refund_amount")
        #expect(
            acme.statuses
                == CustomStatusTable(paid: ["paid"], failed: ["failed", "expired", "canceled"], refund: ["refunded"]))
        #expect(acme.allowedIPs.addresses.isEmpty)
        #expect(acme.isAllowedSource("203.0.113.9"))
        #expect(acme.checkoutURL == nil)
    }

    @Test func standardTakesTheEventIDFromTheHeaderUnlessAPointerIsSet() throws {
        #expect(try CustomFixtures.configuration(scheme: "standard").eventID == .webhookIDHeader)
        let explicit = try CustomFixtures.configuration(scheme: "standard", ["EVENT_ID": "/event/id"])
        #expect(explicit.eventID == .pointer(try JSONPointer("/event/id")))
    }

    @Test func readsEverySetting() throws {
        let acme = try CustomFixtures.configuration(
            scheme: "hex",
            [
                "SECRET": "one, two", "SIGNATURE_HEADER": "X-Acme-Sig", "TOLERANCE_SECONDS": "60",
                "EVENT_ID": "/meta/event", "SESSION_REF": "/order/ref", "PAYMENT_ID": "/order/txn",
                "AMOUNT": "/order/total", "AMOUNT_FORMAT": "decimal", "CURRENCY": "/order/cur", "STATUS": "/state",
                "PAID_STATUSES": "succeeded,captured", "FAILED_STATUSES": "declined", "REFUND_STATUSES": "reversed",
                "REFUND_ID": "/refund/id", "REFUND_AMOUNT": "/refund/total",
                "ALLOWED_IPS": "198.51.100.7, ::FFFF:10.0.0.1",
                "CHECKOUT_URL": "https://pay.acme.test/c/{session_id}?a={amount}",
            ])
        #expect(acme.signature.scheme == .hex)
        #expect(acme.signature.header == "x-acme-sig")
        #expect(acme.signature.toleranceSeconds == 60)
        #expect(acme.eventID == .pointer(try JSONPointer("/meta/event")))
        #expect(acme.sessionRef.tokens == ["order", "ref"])
        #expect(acme.amountFormat == .decimal)
        #expect(acme.statuses.classify("captured") == .paid)
        #expect(acme.statuses.classify("declined") == .failed)
        #expect(acme.statuses.classify("failed") == .other)
        #expect(acme.statuses.classify("reversed") == .refund)
        #expect(acme.refundAmount.tokens == ["refund", "total"])
        #expect(acme.isAllowedSource("198.51.100.7"))
        #expect(acme.isAllowedSource("::ffff:10.0.0.1"))
        #expect(acme.isAllowedSource("10.0.0.1"))
        #expect(!acme.isAllowedSource("198.51.100.8"))
        #expect(acme.checkoutURL != nil)
        // Both secrets verify (rotation).
        let body = Array("{}".utf8)
        for secret in ["one", "two"] {
            let single = try CustomWebhookSignature(scheme: .hex, secrets: [Secret(secret)], header: "X-Acme-Sig")
            let headers = Dictionary(uniqueKeysWithValues: single.headers(body: body, webhookID: "", timestamp: 0))
            #expect(throws: Never.self) { try acme.signature.verify(body: body, now: 0) { headers[$0.lowercased()] } }
        }
    }

    @Test(arguments: [
        (["CUSTOM_GATEWAYS": "Acme"], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": "ac-me"], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": "stripe"], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": "payeer"], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": "app"], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": "acme,acme"], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": String(repeating: "a", count: 33)], "CUSTOM_GATEWAYS"),
        (["CUSTOM_GATEWAYS": "acme"], "GW_ACME_SCHEME"),
    ])
    func refusesBadIDs(values: [String: String], variable: String) {
        expectError(values, variable)
    }

    @Test func refusesIDsWhoseVariablesCollide() {
        var values = CustomFixtures.environment()
        values["CUSTOM_GATEWAYS"] = "acme,acme_refund"
        expectError(values, "CUSTOM_GATEWAYS")
    }

    @Test func refusesAnUnknownVariableOfAListedGateway() {
        var values = CustomFixtures.environment()
        values["GW_ACME_SECRETS"] = "typo"
        expectError(values, "GW_ACME_SECRETS")
    }

    @Test(arguments: [
        ("SCHEME", "md5"), ("SCHEME", "HEX"), ("SECRET", ""), ("SIGNATURE_HEADER", "X Sig"),
        ("TOLERANCE_SECONDS", "0"), ("TOLERANCE_SECONDS", "soon"), ("EVENT_ID", "id"), ("SESSION_REF", "/a~2"),
        ("PAYMENT_ID", "data/id"), ("AMOUNT", "/data/~"), ("CURRENCY", "x"), ("STATUS", "status"),
        ("REFUND_ID", "~1"), ("REFUND_AMOUNT", "refund"), ("AMOUNT_FORMAT", "float"),
        ("FAILED_STATUSES", "paid,failed"), ("REFUND_STATUSES", "refunded,expired"),
        ("CHECKOUT_URL", "ftp://acme.test/{session_id}"), ("CHECKOUT_URL", "https://acme.test/{uid}"),
        ("CHECKOUT_URL", "https://acme.test/{session_id"), ("CHECKOUT_URL", "https://acme.test/}"),
    ])
    func refusesMalformedSettings(suffix: String, value: String) {
        let variable = suffix == "SECRET" ? "GW_ACME_SECRET" : "GW_ACME_" + suffix
        var values = CustomFixtures.environment()
        values[variable] = value
        expectError(values, variable)
    }

    @Test(arguments: ["whsec_not base64!", "whsec_", "whsec_@@@@", "plain-text-secret"])
    func refusesAStandardSecretThatIsNotBase64(secret: String) {
        var values = CustomFixtures.environment(scheme: "standard")
        values["GW_ACME_SECRET"] = secret
        expectError(values, "GW_ACME_SECRET")
    }

    /// An empty value counts as unset (DESIGN §9), so a pointer can never name the whole body; `/` is the key "".
    @Test func emptyPointerFallsBackAndSlashIsTheEmptyKey() throws {
        #expect(try CustomFixtures.configuration(["AMOUNT": ""]).amount.description == "/data/amount")
        #expect(try CustomFixtures.configuration(["AMOUNT": "/"]).amount.tokens == [""])
    }

    private func expectError(
        _ values: [String: String], _ variable: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try CustomGatewaysConfiguration(ConfigReader(values))
            Issue.record("accepted \(values)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.variable == variable, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(variable), sourceLocation: sourceLocation)
        }
    }
}
