import Foundation
import Signing

/// The sandbox's webhook-signing certificates: a root → intermediate → leaf chain (leaf CN
/// `messageverificationcerts.sandbox.paypal.com`) whose root is written to `PAYPAL_TRUST_ROOTS` so the responder
/// trusts it, plus a rogue chain under an untrusted root with the same leaf CN for forgery tests.
///
/// The genuine chain is kept next to the trust-roots file and reused on the next start while its leaf has more
/// than a day left, so a responder started earlier keeps trusting it.
struct PayPalCertificateChain: Sendable {
    static let leafCommonName = "messageverificationcerts.sandbox.paypal.com"
    /// The name the genuine leaf is served under (`/v1/notifications/certs/<name>`).
    static let genuineName = "CERT-360caa42-sandbox-genuine"
    static let rogueName = "CERT-rogue"

    let genuineLeafKey: PrivateKey
    /// Leaf then intermediate, as served.
    let genuinePEM: String
    let rootPEM: String
    let rogueLeafKey: PrivateKey
    let roguePEM: String

    /// Loads the chain kept beside `trustRootsPath` or makes a new one, and (re)writes the root there.
    init(trustRootsPath: String?) throws {
        let rogue = try Self.generate(rootName: "Rogue PayPal Sandbox Root")
        rogueLeafKey = rogue.leafKey
        roguePEM = rogue.leaf.pem + rogue.intermediate.pem
        guard let trustRootsPath else {
            let genuine = try Self.generate(rootName: "PayPal Sandbox Test Root")
            (genuineLeafKey, genuinePEM, rootPEM) = (
                genuine.leafKey, genuine.leaf.pem + genuine.intermediate.pem, genuine.root.pem
            )
            return
        }
        let directory = (trustRootsPath as NSString).deletingLastPathComponent
        let chainPath = (directory as NSString).appendingPathComponent("paypal-sandbox-chain.pem")
        let keyPath = (directory as NSString).appendingPathComponent("paypal-sandbox-leaf.key")
        if let loaded = Self.load(chainPath: chainPath, keyPath: keyPath) {
            (genuineLeafKey, genuinePEM, rootPEM) = loaded
        } else {
            let genuine = try Self.generate(rootName: "PayPal Sandbox Test Root")
            (genuineLeafKey, genuinePEM, rootPEM) = (
                genuine.leafKey, genuine.leaf.pem + genuine.intermediate.pem, genuine.root.pem
            )
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.write(genuinePEM + rootPEM, to: chainPath, mode: 0o644)
            try Self.write(genuineLeafKey.pem, to: keyPath, mode: 0o600)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.write(rootPEM, to: trustRootsPath, mode: 0o644)
    }

    /// The PEM served for a certificate name, nil for unknown names.
    func pem(named name: String) -> String? {
        switch name {
        case Self.genuineName: return genuinePEM
        case Self.rogueName: return roguePEM
        default: return nil
        }
    }

    private static func load(chainPath: String, keyPath: String) -> (PrivateKey, String, String)? {
        guard let chainData = FileManager.default.contents(atPath: chainPath),
            let keyData = FileManager.default.contents(atPath: keyPath),
            let certificates = try? Certificate.parseAll(pem: String(decoding: chainData, as: UTF8.self)),
            certificates.count == 3,
            let key = try? PrivateKey(pem: String(decoding: keyData, as: UTF8.self)),
            certificates[0].notAfter > Int64(Date().timeIntervalSince1970) + 86_400,
            let leafKey = try? certificates[0].publicKey, leafKey.pem == key.publicKey.pem
        else { return nil }
        return (key, certificates[0].pem + certificates[1].pem, certificates[2].pem)
    }

    private static func generate(rootName: String) throws -> (
        root: Certificate, intermediate: Certificate, leaf: Certificate, leafKey: PrivateKey
    ) {
        let rootKey = try PrivateKey.generateRSA()
        let intermediateKey = try PrivateKey.generateRSA()
        let leafKey = try PrivateKey.generateRSA()
        let root = try Certificate.issue(
            commonName: rootName, subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true, days: 3650)
        let intermediate = try Certificate.issue(
            commonName: rootName + " Intermediate CA", subjectKey: intermediateKey, issuer: root,
            issuerKey: rootKey, isCA: true, days: 1825)
        let leaf = try Certificate.issue(
            commonName: leafCommonName, subjectKey: leafKey, issuer: intermediate, issuerKey: intermediateKey,
            isCA: false, days: 365)
        return (root, intermediate, leaf, leafKey)
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
