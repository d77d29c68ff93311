/// An error that reaches the client as `{"errorName","errorMessage"}` with an HTTP status (DESIGN §3).
///
/// Every layer's failure that a client may see is converted into this one type, in one place
/// (`APIError+Mapping` in PaymentsApp), so the wire contract cannot drift between gateways.
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// The `errorName` and status pair; compared by code only.
    public struct Code: Sendable, Hashable {
        public let status: Int
        public let name: String
        private init(_ status: Int, _ name: String) {
            self.status = status
            self.name = name
        }
        public static let badRequest = Code(400, "BadRequestException")
        public static let unauthorized = Code(401, "UnauthorizedException")
        public static let paymentDeclined = Code(402, "PaymentDeclinedException")
        public static let emailNotVerified = Code(403, "EmailNotVerifiedException")
        /// A webhook from a source address outside the gateway's allow-list (never on client routes).
        public static let forbidden = Code(403, "ForbiddenException")
        public static let notFound = Code(404, "NotFoundException")
        public static let conflict = Code(409, "ConflictException")
        public static let payloadTooLarge = Code(413, "PayloadTooLargeException")
        public static let tooManyRequests = Code(429, "TooManyRequestsException")
        public static let gatewayUnavailable = Code(502, "GatewayUnavailableException")
        public static let circuitOpen = Code(503, "GatewayUnavailableException")
        public static let serviceUnavailable = Code(503, "ServiceUnavailableException")
        public static let internalError = Code(500, "InternalServerErrorException")
    }

    public let code: Code
    /// Safe to show to a client: never a secret, token or bind value.
    public let message: String
    /// Extra response headers (`Retry-After`, `x-ratelimit-reset`).
    public var headers: [(String, String)]
    /// What went wrong underneath, for the log only.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, headers: [(String, String)] = [], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.headers = headers
        self.cause = cause
    }

    public var description: String { "\(code.name)(\(code.status)): \(message)" }

    /// 400 naming the offending field, as the client contract requires.
    public static func badField(_ field: String, _ why: String = "is missing or invalid") -> APIError {
        APIError(.badRequest, "\(field) \(why)")
    }
}
