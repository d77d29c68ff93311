/// Why a TLS connection failed; the message names the reason (OpenSSL's, or the certificate check's), never data.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The peer's chain does not lead to a trusted root, or its certificate does not name the host.
        case certificate
        /// The handshake failed otherwise (no common protocol, a malformed message, the connection ended).
        case handshake
        /// An established session failed.
        case connection
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "TLS: \(message)" }
}
