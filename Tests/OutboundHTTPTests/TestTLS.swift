import Signing

/// A certificate authority made for the test run, and server certificates it issues for the loopback server.
struct TestTLS: Sendable {
    let root: Certificate
    private let rootKey: PrivateKey

    /// One authority per test run (issuing is cheap, but every suite can share it).
    static let shared: TestTLS = {
        do {
            return try TestTLS(name: "tn-payments test root")
        } catch {
            preconditionFailure("test authority: \(error)")
        }
    }()

    init(name: String) throws {
        rootKey = try PrivateKey.generateP256()
        root = try Certificate.issue(
            commonName: name, subjectKey: rootKey, issuer: nil, issuerKey: rootKey, isCA: true, days: 30)
    }

    /// A client context trusting this authority only.
    func client() throws -> TLSContext { try TLSContext.client(trusting: [root]) }

    /// A server context whose certificate names `dnsNames` and `ipv4` (subjectAltName), valid for `days`
    /// (negative: already expired).
    func server(dnsNames: [String] = ["localhost"], ipv4: [UInt8]? = [127, 0, 0, 1], days: Int = 30) throws
        -> TLSContext
    {
        let key = try PrivateKey.generateP256()
        let leaf = try Certificate.issue(
            commonName: dnsNames.first ?? "server", subjectKey: key, issuer: root, issuerKey: rootKey, isCA: false,
            days: days, extraExtensions: [("2.5.29.17", Self.subjectAltName(dnsNames: dnsNames, ipv4: ipv4))])
        return try TLSContext.server(certificate: leaf, key: key)
    }

    /// DER of GeneralNames: dNSName is [2] IA5String, iPAddress is [7] OCTET STRING (RFC 5280 §4.2.1.6).
    static func subjectAltName(dnsNames: [String], ipv4: [UInt8]?) -> [UInt8] {
        var names: [UInt8] = []
        for name in dnsNames { names += [0x82, UInt8(name.utf8.count)] + Array(name.utf8) }
        if let ipv4 { names += [0x87, UInt8(ipv4.count)] + ipv4 }
        return [0x30, UInt8(names.count)] + names
    }
}
