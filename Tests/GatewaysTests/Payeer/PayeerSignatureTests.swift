import PaymentsCore
import Signing
import Testing

@testable import Gateways

/// Payeer's signing rules against the research vectors (§2.6, re-derived with sha256sum and openssl enc) and the
/// forgeries a notification handler must refuse.
@Suite struct PayeerSignatureTests {
    static let signature = PayeerSignature(secretKey: Secret("TEST_SECRET"))

    /// The research §2.6 handler vector's fields, in the order Payeer sends them.
    static let vectorFields: [(String, String)] = [
        ("m_operation_id", "987654321"), ("m_operation_ps", "2609"), ("m_operation_date", "21.08.2024 12:00:00"),
        ("m_operation_pay_date", "21.08.2024 12:01:00"), ("m_shop", "12345"), ("m_orderid", "1001"),
        ("m_amount", "15.00"), ("m_curr", "USD"), ("m_desc", "T3JkZXIgMTAwMQ=="), ("m_status", "success"),
        ("m_sign", "84C8180C3B4F5D849BA3472A632758EF0B8F5F59BF83521B9D600D2E01450449"),
    ]

    static func notification(_ fields: [(String, String)]) throws -> PayeerNotification {
        try PayeerNotification(fields: fields)
    }

    static func replacing(_ name: String, with value: String, in fields: [(String, String)] = vectorFields)
        -> [(String, String)]
    {
        fields.map { $0.0 == name ? (name, value) : $0 }
    }

    @Test func formVector() {
        #expect(
            Self.signature.formSign(
                shop: "12345", orderID: "1001", amount: "15.00", currency: "USD", description: "T3JkZXIgMTAwMQ==",
                params: nil) == "294DAC1607F4A3121080B128B55B0E599EC34218D79D1FE0EAD9DEE65FC38FEC")
    }

    @Test func formVectorWithParams() {
        let params =
            "akkb77VJQ5NTXTnB7l9RhhpBJb%2BpNat%2F4xPYAbwG06NoBcQEJndmpKuliChjI7dZzEizLF%2F03bVdK66jAkTWEUErXTrST2PUDllgnrBfXS4%3D"
        #expect(
            Self.signature.formSign(
                shop: "12345", orderID: "1001", amount: "15.00", currency: "USD", description: "T3JkZXIgMTAwMQ==",
                params: params) == "BAACC3E46D9F502C382AEE566AA4F00522B497E4AEE603ED84DDD57C37D527BF")
    }

    @Test func genuineNotificationVerifies() throws {
        let notification = try Self.notification(Self.vectorFields)
        try Self.signature.verify(notification)
        #expect(notification.operationID == "987654321")
        #expect(notification.paymentID == "payeer-987654321")
        #expect(notification.orderID == "1001")
        #expect(notification.amount == Money(cents: 1500))
        #expect(notification.currency == "USD")
        #expect(notification.isSuccess)
        #expect(PayeerNotification.answer(orderID: notification.orderID, accepted: true) == "1001|success")
        #expect(PayeerNotification.answer(orderID: notification.orderID, accepted: false) == "1001|error")
    }

    @Test func lowercaseHexSignVerifies() throws {
        let lowered = Self.replacing(
            "m_sign", with: "84c8180c3b4f5d849ba3472a632758ef0b8f5f59bf83521b9d600d2e01450449")
        try Self.signature.verify(try Self.notification(lowered))
    }

    @Test func wrongSecretFails() throws {
        let notification = try Self.notification(Self.vectorFields)
        #expect(throws: PayeerSignature.Failure.mismatch) {
            try PayeerSignature(secretKey: Secret("OTHER_SECRET")).verify(notification)
        }
    }

    @Test(arguments: [
        ("m_amount", "15.01"), ("m_amount", "150.00"), ("m_status", "fail"), ("m_curr", "EUR"),
        ("m_operation_id", "987654322"), ("m_orderid", "1002"), ("m_shop", "12346"), ("m_desc", "eA=="),
    ])
    func tamperedFieldFails(name: String, value: String) throws {
        let notification = try Self.notification(Self.replacing(name, with: value))
        #expect(throws: PayeerSignature.Failure.mismatch) { try Self.signature.verify(notification) }
    }

    @Test func addedParamsAreSignedSoAForgedOneFails() throws {
        let notification = try Self.notification(Self.vectorFields + [("m_params", "abc%3D")])
        #expect(notification.params == "abc%3D")
        #expect(throws: PayeerSignature.Failure.mismatch) { try Self.signature.verify(notification) }
    }

    @Test func paramsAreSignedBeforeTheKey() throws {
        var fields = Array(Self.vectorFields.dropLast()) + [("m_params", "abc%3D")]
        let text = fields.map(\.1).joined(separator: ":") + ":TEST_SECRET"
        fields.append(("m_sign", Hex.encode(Digest.sha256(Array(text.utf8))).uppercased()))
        try Self.signature.verify(try Self.notification(fields))
    }

    @Test func missingSignFails() throws {
        let notification = try Self.notification(Self.vectorFields.filter { $0.0 != "m_sign" })
        #expect(throws: PayeerSignature.Failure.missingSign) { try Self.signature.verify(notification) }
        let empty = try Self.notification(Self.replacing("m_sign", with: ""))
        #expect(throws: PayeerSignature.Failure.missingSign) { try Self.signature.verify(empty) }
    }

    @Test(arguments: ["not-hex", "84C8", "84C8180C3B4F5D849BA3472A632758EF0B8F5F59BF83521B9D600D2E0145044900"])
    func malformedSignFails(sign: String) throws {
        let notification = try Self.notification(Self.replacing("m_sign", with: sign))
        #expect(throws: PayeerSignature.Failure.malformedSign) { try Self.signature.verify(notification) }
    }

    /// The signature fixes the field order, not the form: the same fields posted in another order still verify, and
    /// a sign computed over a swapped order (amount and currency) does not.
    @Test func fieldOrder() throws {
        try Self.signature.verify(try Self.notification(Self.vectorFields.reversed()))
        let swapped =
            "987654321:2609:21.08.2024 12:00:00:21.08.2024 12:01:00:12345:1001:USD:15.00:T3JkZXIgMTAwMQ==:success:TEST_SECRET"
        let forged = Self.replacing("m_sign", with: Hex.encode(Digest.sha256(Array(swapped.utf8))).uppercased())
        #expect(throws: PayeerSignature.Failure.mismatch) { try Self.signature.verify(try Self.notification(forged)) }
    }

    @Test(arguments: PayeerNotification.requiredFields)
    func missingFieldIsRefused(name: String) {
        #expect(throws: PayeerNotification.Failure.missingField(name)) {
            try PayeerNotification(fields: Self.vectorFields.filter { $0.0 != name })
        }
    }

    /// Optional-valued signed fields are signed as empty when absent, so dropping one breaks the signature.
    @Test(arguments: ["m_operation_ps", "m_operation_date", "m_operation_pay_date", "m_desc"])
    func absentOptionalFieldIsSignedEmpty(name: String) throws {
        let notification = try Self.notification(Self.vectorFields.filter { $0.0 != name })
        #expect(throws: PayeerSignature.Failure.mismatch) { try Self.signature.verify(notification) }
        let fields = Self.replacing(name, with: "")
        let text = fields.dropLast().map(\.1).joined(separator: ":") + ":TEST_SECRET"
        let resigned = Self.replacing("m_sign", with: Hex.encode(Digest.sha256(Array(text.utf8))), in: fields)
        try Self.signature.verify(try Self.notification(resigned))
    }

    @Test(arguments: ["m_amount", "m_status", "m_sign", "m_params"])
    func repeatedFieldIsRefused(name: String) {
        #expect(throws: PayeerNotification.Failure.duplicateField(name)) {
            try PayeerNotification(fields: Self.vectorFields + [(name, "x"), (name, "y")])
        }
    }

    @Test(arguments: ["98765x321", "-1", "123456789012345678901"])
    func malformedOperationIDIsRefused(id: String) {
        #expect(throws: PayeerNotification.Failure.malformedOperationID) {
            try PayeerNotification(fields: Self.replacing("m_operation_id", with: id))
        }
    }

    @Test(
        arguments: [("15.00", 1500), ("15", 1500), ("0.5", 50), ("15.001", nil), ("1e3", nil), ("-1.00", nil)]
            as [(String, Int64?)])
    func amountIsExactDecimalText(text: String, cents: Int64?) throws {
        let notification = try Self.notification(Self.replacing("m_amount", with: text))
        #expect(notification.amount == cents.map { Money(cents: $0) })
    }

    @Test func orderIDOfAnUnreadableDelivery() {
        #expect(PayeerNotification.orderID(in: [("m_orderid", "abc"), ("m_sign", "x")]) == "abc")
        #expect(PayeerNotification.orderID(in: []) == "")
    }
}
