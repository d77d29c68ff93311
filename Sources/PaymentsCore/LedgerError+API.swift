/// What each ledger failure answers the client (DESIGN §3): retryable outages are 503 with `Retry-After`, an
/// integrity or unknown failure a generic 500; the ledger's own message never reaches the client.
extension LedgerError: APIErrorConvertible {
    public var apiError: APIError {
        switch kind {
        case .unavailable:
            return APIError(.serviceUnavailable, "database unavailable, retry later", headers: [("Retry-After", "5")])
        case .unknownOutcome:
            return APIError(
                .serviceUnavailable, "database connection lost, retry later", headers: [("Retry-After", "5")])
        case .refundTargetMissing:
            return APIError(.serviceUnavailable, "the payment this refers to is not recorded yet, retry later")
        case .integrity, .failed:
            return APIError(.internalError, "internal error")
        }
    }

    /// A lost COMMIT, a unique key holding other values and any unclassified database failure are logged at error.
    public var isUnexpected: Bool {
        switch kind {
        case .unavailable, .refundTargetMissing: false
        case .unknownOutcome, .integrity, .failed: true
        }
    }
}
