import PaymentsCore
import Signing
import Testing

@testable import Gateways

/// Anypay's SHA-256 rules against the research vectors (§3.6, re-derived with sha256sum and md5sum) and the
/// forgeries a notification handler must refuse.
@Suite struct AnypaySignatureTests {
    static let signature = AnypaySignature(merchantID: "1399", secretKey: Secret("TEST_SECRET_KEY"))

    static let vectorFields: [(String, String)] = [
        ("merchant_id", "1399"), ("transaction_id", "5550001"), ("pay_id", "12345"), ("amount", "100.00"),
        ("currency", "RUB"), ("profit", "95.00"), ("email", "payer@example.com"), ("method", "card"),
        ("status", "paid"), ("test", "0"),
        ("sign", "e308d24e57a680e6d8392f70e0ce82ebf304d7359ebdd8e63446712aee9bcb77"),
    ]

    static func replacing(_ name: String, with value: String, in fields: [(String, String)] = vectorFields)
        -> [(String, String)]
    {
        fields.map { $0.0 == name ? (name, value) : $0 }
    }

    static func sha256(_ text: String) -> String { Hex.encode(Digest.sha256(Array(text.utf8))) }

    @Test func formVector() {
        #expect(
            Self.signature.formSign(
                payID: "12345", amount: "100.00", currency: "RUB", description: "Test", successURL: "", failURL: "")
                == "c4f3753172f120437cbc048a67238ab8ba926668ed4160b87332034fbbb223c2")
    }

    @Test func genuineNotificationVerifies() throws {
        let notification = try AnypayNotification(fields: Self.vectorFields)
        try Self.signature.verify(notification)
        #expect(notification.transactionID == "5550001")
        #expect(notification.payID == "12345")
        #expect(notification.amount == Money(cents: 10_000))
        #expect(notification.currency == "RUB")
        #expect(notification.isPaid)
        #expect(!notification.isTest)
        #expect(notification.method == "card")
        #expect(notification.eventID == "5550001:paid")
        #expect(notification.paymentID == "anypay-5550001")
        #expect(AnypayNotification.acceptedAnswer == "OK")
    }

    @Test func uppercaseHexAndExtraFieldsVerify() throws {
        let fields = Self.replacing("sign", with: "E308D24E57A680E6D8392F70E0CE82EBF304D7359EBDD8E63446712AEE9BCB77")
        try Self.signature.verify(try AnypayNotification(fields: fields + [("custom_field", "echoed")]))
    }

    @Test func wrongSecretFails() throws {
        let notification = try AnypayNotification(fields: Self.vectorFields)
        #expect(throws: AnypaySignature.Failure.mismatch) {
            try AnypaySignature(merchantID: "1399", secretKey: Secret("OTHER")).verify(notification)
        }
    }

    @Test(arguments: [
        ("amount", "100.01"), ("amount", "100"), ("status", "refund"), ("currency", "USD"), ("pay_id", "12346"),
    ])
    func tamperedFieldFails(name: String, value: String) throws {
        let notification = try AnypayNotification(fields: Self.replacing(name, with: value))
        #expect(throws: AnypaySignature.Failure.mismatch) { try Self.signature.verify(notification) }
    }

    /// The posted merchant id must be the configured one; a notification signed for another project is refused
    /// even when its signature is right for that project.
    @Test func anotherMerchantIsRefused() throws {
        let fields = Self.replacing(
            "sign", with: Self.sha256("RUB:100.00:12345:1400:paid:TEST_SECRET_KEY"),
            in: Self.replacing("merchant_id", with: "1400"))
        #expect(throws: AnypaySignature.Failure.wrongMerchant) {
            try Self.signature.verify(try AnypayNotification(fields: fields))
        }
    }

    @Test func legacyMD5IsRefused() throws {
        // md5(1399:100.00:12345:TEST_SECRET_KEY), research §3.6: genuine under the legacy rule, which omits the status.
        let fields = Self.replacing("sign", with: "adc63435d3ce1eb6cb73630098de55f7")
        #expect(
            Hex.encode(Digest.md5(Array("1399:100.00:12345:TEST_SECRET_KEY".utf8)))
                == "adc63435d3ce1eb6cb73630098de55f7")
        #expect(throws: AnypaySignature.Failure.legacyMD5Refused) {
            try Self.signature.verify(try AnypayNotification(fields: fields))
        }
    }

    @Test func missingOrMalformedSignFails() throws {
        let missing = try AnypayNotification(fields: Self.vectorFields.filter { $0.0 != "sign" })
        #expect(throws: AnypaySignature.Failure.missingSign) { try Self.signature.verify(missing) }
        for sign in ["zz", "e308", String(repeating: "a", count: 66)] {
            let notification = try AnypayNotification(fields: Self.replacing("sign", with: sign))
            #expect(throws: AnypaySignature.Failure.malformedSign) { try Self.signature.verify(notification) }
        }
    }

    /// Field order in the delivery does not matter; a sign over a swapped order (amount before currency) fails.
    @Test func fieldOrder() throws {
        try Self.signature.verify(try AnypayNotification(fields: Self.vectorFields.reversed()))
        let forged = Self.replacing("sign", with: Self.sha256("100.00:RUB:12345:1399:paid:TEST_SECRET_KEY"))
        #expect(throws: AnypaySignature.Failure.mismatch) {
            try Self.signature.verify(try AnypayNotification(fields: forged))
        }
    }

    @Test(arguments: AnypayNotification.requiredFields)
    func missingFieldIsRefused(name: String) {
        #expect(throws: AnypayNotification.Failure.missingField(name)) {
            try AnypayNotification(fields: Self.vectorFields.filter { $0.0 != name })
        }
    }

    @Test(arguments: ["amount", "status", "sign", "test"])
    func repeatedFieldIsRefused(name: String) {
        #expect(throws: AnypayNotification.Failure.duplicateField(name)) {
            try AnypayNotification(fields: Self.vectorFields.filter { $0.0 != name } + [(name, "1"), (name, "2")])
        }
    }

    @Test(arguments: [
        ("transaction_id", "55x"), ("pay_id", "12-3"), ("transaction_id", String(repeating: "9", count: 21)),
    ])
    func malformedIDIsRefused(name: String, value: String) {
        #expect(throws: AnypayNotification.Failure.malformedID(name)) {
            try AnypayNotification(fields: Self.replacing(name, with: value))
        }
    }

    @Test func testNotificationsAreMarked() throws {
        #expect(try AnypayNotification(fields: Self.replacing("test", with: "1")).isTest)
        #expect(!(try AnypayNotification(fields: Self.vectorFields.filter { $0.0 != "test" }).isTest))
    }
}
