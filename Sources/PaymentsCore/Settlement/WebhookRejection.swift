/// Why a webhook delivery was refused as not the gateway's own: logged and counted, never stored.
///
/// A delivery that fails verification (bad signature, a body the gateway's API contradicts) is answered 401; one from
/// a source address outside the gateway's allow-list is answered 403 (DESIGN §3).
public struct WebhookRejection: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not signed (or not vouched for) by the gateway: 401.
        case unverified
        /// Sent from an address the allow-list does not hold: 403.
        case forbiddenSource
    }

    public let kind: Kind
    public let description: String

    public init(_ description: String, kind: Kind = .unverified) {
        self.kind = kind
        self.description = description
    }

    /// A verification failure, described by the verifier's own error.
    public init(_ cause: any Error) {
        self.init("\(cause)")
    }

    /// A delivery from `address` (the address nginx saw), outside the allow-list in `variable`.
    public static func forbiddenSource(_ address: String, variable: String) -> WebhookRejection {
        WebhookRejection("source address \(address) is not in \(variable)", kind: .forbiddenSource)
    }
}
