import PaymentsCore

/// Why App Store signed data (a StoreKit transaction or a server notification) was refused; the five reasons of
/// Apple's `VerificationError`, in the house naming.
///
/// Every refusal reaches the client or Apple as 400 `BadRequestException`: forged or foreign data is a bad request,
/// never a server fault, and it never says which check failed beyond the code.
public struct AppStoreVerificationError: APIErrorConvertible, Sendable, CustomStringConvertible {
    /// The reason, compared by code only.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidJWTFormat, invalidCertificate, verificationFailure, invalidAppIdentifier, invalidEnvironment
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// Not a compact ES256 JWS with a three-certificate `x5c`, or a payload missing its required fields.
        public static let invalidJWTFormat = Code(.invalidJWTFormat)
        /// An `x5c` entry that is not one DER certificate.
        public static let invalidCertificate = Code(.invalidCertificate)
        /// The chain does not lead to a configured root at the signing time, lacks Apple's OIDs, or the signature
        /// does not verify.
        public static let verificationFailure = Code(.verificationFailure)
        /// Another app's data: `bundleId`, or in production `appAppleId`, differs from the configuration.
        public static let invalidAppIdentifier = Code(.invalidAppIdentifier)
        /// An environment this backend does not accept (never `Xcode` or `LocalTesting`).
        public static let invalidEnvironment = Code(.invalidEnvironment)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// What exactly failed, for the log only (OpenSSL's reason, the offending field name); never payload contents.
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "App Store signed data refused (\(code)): \(detail)" }

    public var apiError: APIError {
        APIError(.badRequest, "the App Store signed data was refused (\(code))", cause: self)
    }
}
