import PaymentsCore
import Signing

/// Verifies a PayPal webhook offline as the official SDKs do (research §2.3): the leaf certificate named by
/// `PAYPAL-CERT-URL` must have signed `transmission id|transmission time|webhook id|CRC-32 of the raw body`
/// (unsigned decimal) with SHA256withRSA.
///
/// The signature covers the body only through that CRC-32, which anyone holding one genuine delivery can match with
/// another body: the webhook therefore re-reads from PayPal whatever it books. It also covers the transmission time,
/// which must lie in a window around now (checked before any certificate is fetched). PayPal documents no such
/// window and retries a failed delivery "25 times over the course of three days" (research §2.2), possibly with the
/// headers of the first attempt, so the window accepts four days back and five minutes ahead (clock skew, as Stripe).
public struct PayPalSignature: Sendable {
    /// Why a delivery is not authentic; every case answers 401 and stores nothing.
    public enum Failure: Error, Equatable, Sendable {
        case missingHeader(String)
        case unsupportedAlgorithm(String)
        case transmissionTimeOutsideWindow
        case certificateURLNotAllowed(String)
        case certificateRejected(String)
        case malformedSignature
        case mismatch
    }

    /// The five signature headers, as stored with the event.
    public static let headerNames = [
        "paypal-transmission-id", "paypal-transmission-time", "paypal-transmission-sig", "paypal-cert-url",
        "paypal-auth-algo",
    ]

    /// The oldest accepted `PAYPAL-TRANSMISSION-TIME` (seconds before now).
    public static let transmissionMaxAge: Int64 = 4 * 86_400
    /// How far in the future a `PAYPAL-TRANSMISSION-TIME` may be (clock skew).
    public static let transmissionMaxSkew: Int64 = 300

    public let webhookID: String
    public let certificates: PayPalCertificateStore

    public init(webhookID: String, certificates: PayPalCertificateStore) {
        self.webhookID = webhookID
        self.certificates = certificates
    }

    /// The signed message for a delivery.
    public static func message(transmissionID: String, transmissionTime: String, webhookID: String, body: [UInt8])
        -> [UInt8]
    {
        Array("\(transmissionID)|\(transmissionTime)|\(webhookID)|\(CRC32.checksum(body))".utf8)
    }

    /// Throws unless the delivery is authentic at `now`.
    /// - Parameter header: looks a header up by its lower-case name.
    /// - Throws: `Failure` for a forgery or a bad certificate; `APIError` when the certificate could not be fetched.
    public func verify(header: (String) -> String?, body: [UInt8], now: Int64) throws {
        func required(_ name: String) throws(Failure) -> String {
            guard let value = header(name), !value.isEmpty else { throw .missingHeader(name) }
            return value
        }
        let transmissionID = try required("paypal-transmission-id")
        let transmissionTime = try required("paypal-transmission-time")
        let signatureText = try required("paypal-transmission-sig")
        let certURL = try required("paypal-cert-url")
        let algorithm = try required("paypal-auth-algo")
        guard algorithm == "SHA256withRSA" else { throw Failure.unsupportedAlgorithm(algorithm) }
        guard let sentAt = RFC3339.unixSeconds(transmissionTime), sentAt >= now - Self.transmissionMaxAge,
            sentAt <= now + Self.transmissionMaxSkew
        else { throw Failure.transmissionTimeOutsideWindow }
        guard let signature = Base64.decode(signatureText), !signature.isEmpty else { throw Failure.malformedSignature }
        // The host and path are checked before any fetch, inside the store.
        let leaf = try certificates.leaf(for: certURL, now: now)
        let message = Self.message(
            transmissionID: transmissionID, transmissionTime: transmissionTime, webhookID: webhookID,
            body: body)
        let key: PublicKey
        do {
            key = try leaf.publicKey
        } catch {
            throw Failure.certificateRejected("the certificate holds no usable public key")
        }
        guard key.verify(signature: signature, message: message, algorithm: .rsaPKCS1SHA256) else {
            throw Failure.mismatch
        }
    }
}
