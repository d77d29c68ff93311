import Foundation
import Gateways
import PaymentsCore
import Signing

/// A test Apple PKI for the verifier tests: a genuine root → intermediate (WWDR OID) → leaf (receipt OID) chain,
/// built per test with the variations the forgery tests need, and an ES256 JWS signer over it.
struct AppStoreTestPKI {
    static let asn1Null: [UInt8] = [0x05, 0x00]
    static let bundleID = "com.example.tn"
    static let appAppleID: Int64 = 1_234_567_890

    let root: Certificate
    let rootKey: PrivateKey
    let intermediate: Certificate
    let intermediateKey: PrivateKey
    let leaf: Certificate
    let leafKey: PrivateKey

    /// - Parameters:
    ///   - caKeys: key maker for root and intermediate (P-256 or P-384); the leaf is P-256 unless `leafKey` is given.
    static func make(
        caKeys: () throws -> PrivateKey = { try PrivateKey.generateP256() }, leafKey: PrivateKey? = nil,
        leafOID: Bool = true, intermediateOID: Bool = true, leafDays: Int = 365, root: (Certificate, PrivateKey)? = nil
    ) throws -> AppStoreTestPKI {
        let rootKey = try root?.1 ?? caKeys()
        let rootCertificate =
            try root?.0
            ?? Certificate.issue(
                commonName: "Test Apple Root", subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true,
                days: 3650)
        let intermediateKey = try caKeys()
        let intermediate = try Certificate.issue(
            commonName: "Test WWDR", subjectKey: intermediateKey, issuer: rootCertificate, issuerKey: rootKey,
            isCA: true, days: 1825,
            extraExtensions: intermediateOID ? [(AppStoreSignedDataVerifier.intermediateOID, asn1Null)] : [])
        let leafKey = try leafKey ?? PrivateKey.generateP256()
        let leaf = try Certificate.issue(
            commonName: "Test Receipt Signing", subjectKey: leafKey, issuer: intermediate, issuerKey: intermediateKey,
            isCA: false, days: leafDays,
            extraExtensions: leafOID ? [(AppStoreSignedDataVerifier.leafOID, asn1Null)] : [])
        return AppStoreTestPKI(
            root: rootCertificate, rootKey: rootKey, intermediate: intermediate, intermediateKey: intermediateKey,
            leaf: leaf, leafKey: leafKey)
    }

    /// The three `x5c` entries, standard base64; `presentedRoot` replaces the third.
    func x5c(presentedRoot: Certificate? = nil) -> [String] {
        [leaf, intermediate, presentedRoot ?? root].map { Base64.encode($0.der) }
    }

    /// A compact JWS of `payload` signed by the leaf, with `header` overrides merged in.
    func sign(_ payload: JSONValue, header: [(String, JSONValue)] = [], presentedRoot: Certificate? = nil) throws
        -> String
    {
        var members: [(String, JSONValue)] = [
            ("alg", .string("ES256")), ("x5c", .array(x5c(presentedRoot: presentedRoot).map { .string($0) })),
        ]
        for (key, value) in header {
            members.removeAll { $0.0 == key }
            members.append((key, value))
        }
        return try JSONWebToken.sign(
            header: .object(members), payload: payload, key: leafKey, algorithm: .ecdsaSHA256Raw)
    }

    static var nowMilliseconds: Int64 { Int64(Date().timeIntervalSince1970) * 1000 }

    /// A consumable's `JWSTransactionDecodedPayload`.
    static func transaction(
        id: String = "2000000123456789", productID: String = "coins_500", uid: String = "user-1",
        environment: String = "Sandbox", bundleID: String = bundleID, signedDate: Int64 = nowMilliseconds,
        revoked: Bool = false
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("transactionId", .string(id)), ("originalTransactionId", .string(id)), ("bundleId", .string(bundleID)),
            ("productId", .string(productID)), ("purchaseDate", .int(signedDate - 1000)), ("quantity", .int(1)),
            ("type", .string("Consumable")), ("appAccountToken", .string(AppStoreAccountToken.forUID(uid))),
            ("inAppOwnershipType", .string("PURCHASED")), ("signedDate", .int(signedDate)),
            ("environment", .string(environment)), ("price", .int(4990)), ("currency", .string("USD")),
        ]
        if revoked { members.append(("revocationDate", .int(signedDate))) }
        return .object(members)
    }

    /// A V2 notification about `signedTransaction`.
    static func notification(
        type: String = "REFUND", uuid: String = "8f1c5a9e-0000-4000-8000-000000000001", environment: String = "Sandbox",
        bundleID: String = bundleID, appAppleID: Int64? = appAppleID, signedTransaction: String? = nil,
        signedDate: Int64 = nowMilliseconds
    ) -> JSONValue {
        var data: [(String, JSONValue)] = [("bundleId", .string(bundleID)), ("environment", .string(environment))]
        if let appAppleID { data.append(("appAppleId", .int(appAppleID))) }
        if let signedTransaction { data.append(("signedTransactionInfo", .string(signedTransaction))) }
        return .object([
            ("notificationType", .string(type)), ("notificationUUID", .string(uuid)), ("data", .object(data)),
            ("version", .string("2.0")), ("signedDate", .int(signedDate)),
        ])
    }

    func verifier(
        environments: Set<AppStoreEnvironment> = [.sandbox], appAppleID: Int64? = AppStoreTestPKI.appAppleID
    ) -> AppStoreSignedDataVerifier {
        AppStoreSignedDataVerifier(
            rootCertificates: [root], bundleID: Self.bundleID, appAppleID: appAppleID, environments: environments)
    }
}

/// The verification error code `body` throws, nil when it succeeds or throws something else.
func refusal(_ body: () throws -> Void) -> AppStoreVerificationError.Code? {
    do {
        try body()
        return nil
    } catch let error as AppStoreVerificationError {
        return error.code
    } catch {
        return nil
    }
}
