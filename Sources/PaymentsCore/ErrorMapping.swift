/// The one place any error becomes the client's `{"errorName","errorMessage"}` answer (DESIGN §3).
///
/// `APIError` passes through, an `APIErrorConvertible` error answers for itself, and anything else is a generic
/// 500 logged as unexpected. Public so that gateway tests judge a handler's failure exactly as the request pipeline
/// answers it.
public enum ErrorMapping {
    /// The client-facing error, and whether it deserves an error-level log line (unexpected failures).
    public static func apiError(for error: any Error) -> (APIError, unexpected: Bool) {
        switch error {
        case let error as APIError:
            return (error, false)
        case let error as any APIErrorConvertible:
            return (error.apiError, error.isUnexpected)
        default:
            return (APIError(.internalError, "internal error"), true)
        }
    }
}
