import Foundation
import PaymentsCore
import Signing

/// Verifies App Store signed data the way Apple's `SignedDataVerifier` and `ChainVerifier` do, with online
/// (OCSP) checks off (research §3.3):
///
/// 1. a compact JWS whose header has `alg` `ES256` and an `x5c` of exactly three standard-base64 DER certificates;
/// 2. the path leaf (`x5c[0]`) → intermediate (`x5c[1]`) → one of the configured roots, built with OpenSSL at the
///    payload's `signedDate` (now when it has none) and of exactly three certificates; `x5c[2]` is never trusted;
/// 3. the leaf carries `1.2.840.113635.100.6.11.1` (receipt signing) and the intermediate
///    `1.2.840.113635.100.6.2.1` (Apple WWDR); any key type the chain's CAs use (P-256, P-384) is accepted;
/// 4. the ES256 signature (raw `r || s`) verifies with the leaf's P-256 key;
/// 5. then the app and environment checks of the kind of data (`verifyTransaction`, `verifyNotification`).
///
/// Immutable and Sendable: one instance serves every worker thread.
public struct AppStoreSignedDataVerifier: Sendable {
    /// Apple's receipt-signing marker, required on the leaf.
    public static let leafOID = "1.2.840.113635.100.6.11.1"
    /// Apple's WWDR intermediate marker, required on the intermediate.
    public static let intermediateOID = "1.2.840.113635.100.6.2.1"

    let rootCertificates: [Certificate]
    let bundleID: String
    let appAppleID: Int64?
    let environments: Set<AppStoreEnvironment>
    let strictChecks: Bool
    let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - strictChecks: RFC 5280 encoding checks (`X509_V_FLAG_X509_STRICT`), on by default as in Apple's Python
    ///     library; Apple's own test vectors lack key identifiers and need it off, as Apple's tests turn it off.
    ///   - clock: unix seconds now, used only for data without a `signedDate`.
    public init(
        rootCertificates: [Certificate], bundleID: String, appAppleID: Int64?, environments: Set<AppStoreEnvironment>,
        strictChecks: Bool = true, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.rootCertificates = rootCertificates
        self.bundleID = bundleID
        self.appAppleID = appAppleID
        self.environments = environments.filter(\.isSignedByApple)
        self.strictChecks = strictChecks
        self.clock = clock
    }

    /// A StoreKit transaction (`jwsRepresentation`, or `signedTransactionInfo` from the API or a notification):
    /// signature, then `bundleId`, then `environment`, as Apple's `verifyAndDecodeTransaction`.
    public func verifyTransaction(_ signed: String) throws(AppStoreVerificationError) -> AppStoreTransaction {
        let payload = try verifiedPayload(signed)
        guard let transaction = AppStoreTransaction(payload) else {
            throw AppStoreVerificationError(.invalidJWTFormat, "transaction payload lacks its ids")
        }
        guard transaction.bundleID == bundleID else {
            throw AppStoreVerificationError(.invalidAppIdentifier, "bundleId differs")
        }
        try checkEnvironment(transaction.environment)
        return transaction
    }

    /// A server notification's `signedPayload`: signature, then the app (`bundleId`, and `appAppleId` for a
    /// production notification), then `environment`, as Apple's `verifyAndDecodeNotification`.
    public func verifyNotification(_ signed: String) throws(AppStoreVerificationError) -> AppStoreNotification {
        let payload = try verifiedPayload(signed)
        guard let notification = AppStoreNotification(payload) else {
            throw AppStoreVerificationError(.invalidJWTFormat, "notification payload lacks its type or UUID")
        }
        guard notification.bundleID == bundleID,
            notification.environment != .production || notification.appAppleID == appAppleID
        else { throw AppStoreVerificationError(.invalidAppIdentifier, "bundleId or appAppleId differs") }
        try checkEnvironment(notification.environment)
        return notification
    }

    /// Steps 1 to 4: the decoded payload of a JWS signed by a valid Apple chain.
    func verifiedPayload(_ signed: String) throws(AppStoreVerificationError) -> JSONValue {
        let token: JSONWebToken
        do {
            token = try JSONWebToken.parse(signed)
        } catch {
            throw AppStoreVerificationError(.invalidJWTFormat, "not a compact JWS")
        }
        guard token.header["alg"]?.stringValue == "ES256" else {
            throw AppStoreVerificationError(.invalidJWTFormat, "alg is not ES256")
        }
        guard let x5c = token.header["x5c"]?.arrayValue?.compactMap(\.stringValue), x5c.count == 3,
            token.header["x5c"]?.arrayValue?.count == 3
        else { throw AppStoreVerificationError(.invalidJWTFormat, "x5c is not three certificates") }
        let signedMilliseconds = token.payload["signedDate"]?.int64Value
        let time = signedMilliseconds.map { $0 / 1000 } ?? clock()
        let key = try signingKey(x5c: x5c, at: time)
        guard key.curveName == "prime256v1",
            key.verify(signature: token.signature, message: token.signingInput, algorithm: .ecdsaSHA256Raw)
        else { throw AppStoreVerificationError(.verificationFailure, "ES256 signature does not verify") }
        return token.payload
    }

    /// Steps 2 and 3: the leaf's public key once its chain is valid at `time` (unix seconds).
    public func signingKey(x5c: [String], at time: Int64) throws(AppStoreVerificationError) -> PublicKey {
        guard x5c.count == 3 else {
            throw AppStoreVerificationError(.invalidJWTFormat, "x5c is not three certificates")
        }
        let leaf: Certificate
        let intermediate: Certificate
        do {
            guard let leafDER = Base64.decode(x5c[0]), let intermediateDER = Base64.decode(x5c[1]) else {
                throw AppStoreVerificationError(.invalidCertificate, "x5c entry is not base64")
            }
            leaf = try Certificate(der: leafDER)
            intermediate = try Certificate(der: intermediateDER)
        } catch let error as AppStoreVerificationError {
            throw error
        } catch {
            throw AppStoreVerificationError(.invalidCertificate, "x5c entry is not one DER certificate")
        }
        let length: Int
        do {
            length = try ChainVerifier.verify(
                leaf: leaf, intermediates: [intermediate], trustAnchors: rootCertificates, at: time,
                partialChain: false, strict: strictChecks)
        } catch {
            throw AppStoreVerificationError(.verificationFailure, "\(error)")
        }
        guard length == 3 else {
            throw AppStoreVerificationError(.verificationFailure, "chain has \(length) certificates, not 3")
        }
        guard intermediate.hasExtension(oid: Self.intermediateOID) else {
            throw AppStoreVerificationError(.verificationFailure, "intermediate lacks the WWDR OID")
        }
        guard leaf.hasExtension(oid: Self.leafOID) else {
            throw AppStoreVerificationError(.verificationFailure, "leaf lacks the receipt-signing OID")
        }
        do {
            return try leaf.publicKey
        } catch {
            throw AppStoreVerificationError(.verificationFailure, "leaf key unreadable")
        }
    }

    private func checkEnvironment(_ environment: AppStoreEnvironment?) throws(AppStoreVerificationError) {
        guard let environment, environments.contains(environment) else {
            throw AppStoreVerificationError(.invalidEnvironment, "environment not accepted")
        }
    }
}
