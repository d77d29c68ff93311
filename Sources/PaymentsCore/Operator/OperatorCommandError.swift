/// Why an operator command stopped before or at the gateway; `payments-sync` maps each case to its exit code.
public enum OperatorCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The gateway offers no such operation through this backend (`refund` for App Store, …).
    case notSupported(command: String, gateway: String)
    /// The ledger or the session does not allow it (nothing left to refund, session not held for review, …);
    /// nothing was sent to the gateway.
    case refused(String)

    public var description: String {
        switch self {
        case .notSupported(let command, let gateway): "\(command) is not supported for \(gateway)"
        case .refused(let reason): reason
        }
    }
}
