import Foundation
import Gateways
import PaymentsCore
import Signing

/// A root → intermediate → leaf chain made for the tests, and a way to sign deliveries with the leaf.
struct PayPalTestChain: Sendable {
    let root: Certificate
    let intermediate: Certificate
    let leaf: Certificate
    let leafKey: PrivateKey

    /// Generated once per test process (RSA key generation is slow).
    static let shared: PayPalTestChain = {
        do { return try PayPalTestChain(leafCN: "messageverificationcerts.sandbox.paypal.com") } catch {
            preconditionFailure("\(error)")
        }
    }()

    /// A chain under a different, untrusted root.
    static let rogue: PayPalTestChain = {
        do { return try PayPalTestChain(leafCN: "messageverificationcerts.sandbox.paypal.com") } catch {
            preconditionFailure("\(error)")
        }
    }()

    init(leafCN: String) throws {
        let rootKey = try PrivateKey.generateRSA()
        let intermediateKey = try PrivateKey.generateRSA()
        leafKey = try PrivateKey.generateRSA()
        root = try Certificate.issue(
            commonName: "Test PayPal Root", subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true, days: 3650
        )
        intermediate = try Certificate.issue(
            commonName: "Test PayPal CA", subjectKey: intermediateKey, issuer: root, issuerKey: rootKey,
            isCA: true, days: 1825)
        leaf = try Certificate.issue(
            commonName: leafCN, subjectKey: leafKey, issuer: intermediate, issuerKey: intermediateKey,
            isCA: false, days: 365)
    }

    /// Another leaf under the same intermediate (for the CN test).
    func issueLeaf(commonName: String, intermediateKey: PrivateKey) throws -> Certificate {
        try Certificate.issue(
            commonName: commonName, subjectKey: leafKey, issuer: intermediate, issuerKey: intermediateKey, isCA: false,
            days: 365)
    }

    /// What the certificate URL serves: leaf then intermediate.
    var servedPEM: String { leaf.pem + intermediate.pem }

    /// The five PayPal headers for `body`, signed with this chain's leaf key, sent at `now` (unix seconds).
    func headers(
        body: [UInt8], webhookID: String, certURL: String, transmissionID: String = UUID().uuidString.lowercased(),
        at now: Int64 = Int64(Date().timeIntervalSince1970)
    ) throws -> [String: String] {
        let time = Self.transmissionTime(now)
        let message = PayPalSignature.message(
            transmissionID: transmissionID, transmissionTime: time, webhookID: webhookID, body: body)
        let signature = try leafKey.sign(message, algorithm: .rsaPKCS1SHA256)
        return [
            "paypal-transmission-id": transmissionID, "paypal-transmission-time": time,
            "paypal-transmission-sig": Base64.encode(signature), "paypal-cert-url": certURL,
            "paypal-auth-algo": "SHA256withRSA",
        ]
    }

    /// `PAYPAL-TRANSMISSION-TIME` for unix seconds: RFC 3339 in UTC, as PayPal sends it.
    static func transmissionTime(_ unix: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
    }
}
