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

    /// The five PayPal headers for `body`, signed with this chain's leaf key.
    func headers(
        body: [UInt8], webhookID: String, certURL: String, transmissionID: String = UUID().uuidString.lowercased(),
        time: String = "2026-01-01T00:00:00Z"
    ) throws -> [String: String] {
        let message = PayPalSignature.message(
            transmissionID: transmissionID, transmissionTime: time, webhookID: webhookID, body: body)
        let signature = try leafKey.sign(message, algorithm: .rsaPKCS1SHA256)
        return [
            "paypal-transmission-id": transmissionID, "paypal-transmission-time": time,
            "paypal-transmission-sig": Base64.encode(signature), "paypal-cert-url": certURL,
            "paypal-auth-algo": "SHA256withRSA",
        ]
    }
}
