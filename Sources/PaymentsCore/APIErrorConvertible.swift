/// An error that knows which client-facing `APIError` it becomes (gateway API failures, for instance).
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}
