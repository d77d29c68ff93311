import Foundation

/// A webhook source-address allow-list (`<GW>_ALLOWED_IPS`, DESIGN §4): the addresses a gateway delivers from.
///
/// It is checked against the address nginx saw (`REMOTE_ADDR`), never against `X-Forwarded-For` or `X-Real-IP`,
/// which the sender controls. An empty list accepts any source.
public struct SourceAllowList: Sendable, Equatable {
    /// The normalised addresses; empty accepts any.
    public let addresses: Set<String>

    /// - Parameter addresses: literal IPv4 or IPv6 addresses, as an operator lists them.
    public init(_ addresses: [String]) {
        self.addresses = Set(addresses.map(SourceAllowList.normalized))
    }

    /// Reads a comma-separated list variable; missing or empty accepts any source.
    public init(_ config: ConfigReader, variable: String) {
        self.init(config.list(variable))
    }

    /// Whether a delivery from `address` (nginx's `REMOTE_ADDR`) may be processed.
    public func permits(_ address: String) -> Bool {
        addresses.isEmpty || addresses.contains(SourceAllowList.normalized(address))
    }

    /// Refuses a webhook delivery from `address` (the address nginx saw) unless the list permits it.
    /// - Throws: `WebhookRejection.forbiddenSource` naming `variable` (answered 403).
    public func admit(_ address: String, variable: String) throws(WebhookRejection) {
        guard permits(address) else { throw WebhookRejection.forbiddenSource(address, variable: variable) }
    }

    /// An address as compared: trimmed, lower-cased, and `::ffff:a.b.c.d` read as the IPv4 address it maps.
    static func normalized(_ address: String) -> String {
        let lowered = address.trimmingCharacters(in: .whitespaces).lowercased()
        return lowered.hasPrefix("::ffff:") && lowered.contains(".") ? String(lowered.dropFirst(7)) : lowered
    }
}
