import Foundation
import PaymentsCore
import Signing

/// The sandbox's Apple PKI (P-256 throughout, research §3.7): a root written to `APPSTORE_ROOT_CERTS` for the
/// responder to trust, an intermediate with Apple's WWDR OID and a leaf with the receipt-signing OID (both ASN.1
/// NULL, as Apple's), plus the forgeries the tests need: a look-alike chain under an untrusted root, a rogue
/// intermediate under an untrusted CA, and genuine-root chains whose leaf or intermediate lacks its OID.
///
/// The root and its key are kept beside the roots file and reused while the root has more than a day left, so a
/// responder started earlier keeps trusting a restarted sandbox; intermediates and leaves are issued at each start.
struct AppStoreCertificateChain: Sendable {
    /// How a signed payload's `x5c` and key may be forged.
    enum Signer: String, Sendable, CaseIterable {
        case genuine
        /// A complete chain with Apple's OIDs under a root the responder does not trust.
        case rogueRoot
        /// A leaf under an intermediate issued by an untrusted CA, with the genuine root as `x5c[2]`.
        case rogueIntermediate
        /// Genuine root and intermediate; the leaf lacks `1.2.840.113635.100.6.11.1`.
        case noLeafOID
        /// Genuine root; the intermediate lacks `1.2.840.113635.100.6.2.1`.
        case noIntermediateOID
    }

    struct Chain: Sendable {
        let leafKey: PrivateKey
        /// Standard base64 DER: leaf, intermediate, root.
        let x5c: [String]
    }

    static let leafOID = "1.2.840.113635.100.6.11.1"
    static let intermediateOID = "1.2.840.113635.100.6.2.1"
    private static let asn1Null: [UInt8] = [0x05, 0x00]

    let rootPEM: String
    private let chains: [Signer: Chain]

    /// Loads or makes the root, (re)writes it to `rootsPath` (nil keeps everything in memory), and issues the chains.
    init(rootsPath: String?) throws {
        let (root, rootKey) = try Self.root(rootsPath: rootsPath)
        rootPEM = root.pem
        let rogueKey = try PrivateKey.generateP256()
        let rogueRoot = try Certificate.issue(
            commonName: "Apple Root CA - G3 (rogue sandbox)", subjectKey: rogueKey, issuer: nil, issuerKey: rogueKey,
            isCA: true, days: 3650)
        chains = [
            .genuine: try Self.chain(root: root, rootKey: rootKey, leafOID: true, intermediateOID: true),
            .rogueRoot: try Self.chain(root: rogueRoot, rootKey: rogueKey, leafOID: true, intermediateOID: true),
            .rogueIntermediate: try Self.chain(
                root: rogueRoot, rootKey: rogueKey, leafOID: true, intermediateOID: true, presentedRoot: root),
            .noLeafOID: try Self.chain(root: root, rootKey: rootKey, leafOID: false, intermediateOID: true),
            .noIntermediateOID: try Self.chain(root: root, rootKey: rootKey, leafOID: true, intermediateOID: false),
        ]
    }

    /// A compact ES256 JWS of `payload` with the `signer`'s chain in `x5c`, as Apple signs StoreKit data.
    func sign(_ payload: JSONValue, signer: Signer = .genuine) throws -> String {
        guard let chain = chains[signer] else { throw SandboxError("no chain for \(signer.rawValue)") }
        let header = JSONValue.object([
            ("alg", .string("ES256")), ("x5c", .array(chain.x5c.map { .string($0) })), ("typ", .string("JWT")),
        ])
        return try JSONWebToken.sign(header: header, payload: payload, key: chain.leafKey, algorithm: .ecdsaSHA256Raw)
    }

    private static func chain(
        root: Certificate, rootKey: PrivateKey, leafOID: Bool, intermediateOID: Bool, presentedRoot: Certificate? = nil
    ) throws -> Chain {
        let intermediateKey = try PrivateKey.generateP256()
        let leafKey = try PrivateKey.generateP256()
        let intermediate = try Certificate.issue(
            commonName: "Apple WWDR Certification Authority G6 (sandbox)",
            subjectKey: intermediateKey, issuer: root, issuerKey: rootKey, isCA: true, days: 1825,
            extraExtensions: intermediateOID ? [(oid: Self.intermediateOID, der: asn1Null)] : [])
        let leaf = try Certificate.issue(
            commonName: "Prod ECC App Store Receipt Signing (sandbox)", subjectKey: leafKey,
            issuer: intermediate, issuerKey: intermediateKey, isCA: false, days: 365,
            extraExtensions: leafOID ? [(oid: Self.leafOID, der: asn1Null)] : [])
        let x5c = [leaf, intermediate, presentedRoot ?? root].map { Base64.encode($0.der) }
        return Chain(leafKey: leafKey, x5c: x5c)
    }

    private static func root(rootsPath: String?) throws -> (Certificate, PrivateKey) {
        guard let rootsPath else { return try makeRoot() }
        let keyPath = ((rootsPath as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("appstore-sandbox-root.key")
        if let loaded = load(rootPath: rootsPath, keyPath: keyPath) { return loaded }
        let (root, key) = try makeRoot()
        try SandboxFiles.write(key.pem, to: keyPath, mode: 0o600)
        try SandboxFiles.write(root.pem, to: rootsPath, mode: 0o644)
        return (root, key)
    }

    private static func makeRoot() throws -> (Certificate, PrivateKey) {
        let key = try PrivateKey.generateP256()
        let root = try Certificate.issue(
            commonName: "Apple Root CA - G3 (tn-payments sandbox)", subjectKey: key, issuer: nil, issuerKey: key,
            isCA: true, days: 3650)
        return (root, key)
    }

    private static func load(rootPath: String, keyPath: String) -> (Certificate, PrivateKey)? {
        guard let rootText = SandboxFiles.read(rootPath), let keyText = SandboxFiles.read(keyPath),
            let root = try? Certificate(pem: rootText), let key = try? PrivateKey(pem: keyText),
            root.notAfter > SocketIO.now() + 86_400, let rootKey = try? root.publicKey, rootKey.pem == key.publicKey.pem
        else { return nil }
        return (root, key)
    }
}
