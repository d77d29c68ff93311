/// Why a webhook delivery was refused as not the gateway's own (bad signature, wrong source, a body the gateway's
/// API contradicts): logged and counted, never stored, answered 401.
public struct WebhookRejection: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// A verification failure, described by the verifier's own error.
    public init(_ cause: any Error) {
        self.description = "\(cause)"
    }
}
