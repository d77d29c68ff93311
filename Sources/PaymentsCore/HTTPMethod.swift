/// The methods the API answers; anything else is 404 like an unknown route.
public enum HTTPMethod: String, Sendable, Hashable {
    case get = "GET"
    case post = "POST"
    case options = "OPTIONS"
    case head = "HEAD"
    case put = "PUT"
    case delete = "DELETE"
}
