/// An error that knows which client-facing `APIError` it becomes (gateway API failures, ledger failures, malformed
/// JSON); `ErrorMapping` asks this protocol and nothing else.
public protocol APIErrorConvertible: Error {
    /// The answer the client gets for this failure: status, `errorName`, a message safe to show, headers.
    ///
    /// Read once, when the request pipeline answers the failure; it must never carry the error's own detail
    /// (statement text, bind values, bodies) into the message.
    var apiError: APIError { get }

    /// True when the failure is unexpected and the pipeline logs it once at error level (with `request.id`); false
    /// for the failures a running service meets in normal operation (a gateway down, a retryable database outage).
    ///
    /// Defaults to false.
    var isUnexpected: Bool { get }
}

extension APIErrorConvertible {
    /// Expected: most failures that know their answer are part of normal operation.
    public var isUnexpected: Bool { false }
}
