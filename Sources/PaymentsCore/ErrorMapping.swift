/// The one place any error becomes the client's `{"errorName","errorMessage"}` answer (DESIGN §3).
///
/// Public so that gateway tests judge a handler's failure exactly as the request pipeline answers it.
public enum ErrorMapping {
    /// The client-facing error, and whether it deserves an error-level log line (unexpected failures).
    public static func apiError(for error: any Error) -> (APIError, unexpected: Bool) {
        switch error {
        case let error as APIError:
            return (error, false)
        case let error as any APIErrorConvertible:
            return (error.apiError, false)
        case let error as LedgerError:
            switch error.kind {
            case .unavailable:
                return (
                    APIError(.serviceUnavailable, "database unavailable, retry later", headers: [("Retry-After", "5")]),
                    false
                )
            case .unknownOutcome:
                return (
                    APIError(
                        .serviceUnavailable, "database connection lost, retry later", headers: [("Retry-After", "5")]),
                    true
                )
            case .refundTargetMissing:
                return (
                    APIError(.serviceUnavailable, "the payment this refers to is not recorded yet, retry later"), false
                )
            case .integrity, .failed:
                return (APIError(.internalError, "internal error"), true)
            }
        case is JSONParseError:
            return (APIError(.badRequest, "body is not valid JSON"), false)
        default:
            return (APIError(.internalError, "internal error"), true)
        }
    }
}
