/// Everything one confirmation changes, applied in a single database transaction (DESIGN §1.2).
public struct LedgerEffect: Sendable {
    /// Inserted first: a duplicate event id makes the whole effect a no-op answered as success.
    public var event: WebhookEventRecord?
    /// Rows to write. A row whose `payment_id` exists with the same (gateway, uid, amount) is skipped;
    /// with different values it is an integrity error.
    public var entries: [LedgerEntry]
    /// Session status changes, applied after the rows.
    public var sessionUpdates: [(sessionID: Int64, status: SessionStatus)]
    public var operatorItems: [OperatorItem]
    /// A replay of a stored event (`payments-sync events replay`): an operator item already recorded with the same
    /// gateway, reference and reason is not added again (and not reported as an over-refund or second payment), so
    /// replaying an event that handed money to an operator changes nothing.
    public var isReplay = false

    public init(
        event: WebhookEventRecord? = nil, entries: [LedgerEntry] = [],
        sessionUpdates: [(sessionID: Int64, status: SessionStatus)] = [], operatorItems: [OperatorItem] = []
    ) {
        self.event = event
        self.entries = entries
        self.sessionUpdates = sessionUpdates
        self.operatorItems = operatorItems
    }
}

/// What applying a `LedgerEffect` did.
public struct LedgerOutcome: Sendable, Equatable {
    /// The event id was already recorded: nothing was changed.
    public var duplicateEvent: Bool
    /// Rows inserted now, in order, with the push claim of those written claimed (to push to Retail).
    public var insertedRows: [InsertedRow]
    /// `payment_id`s that already existed with the same values.
    public var alreadyPresent: [String]
    /// Negative rows that would exceed their payment and were stored as operator items instead.
    public var overRefunds: [String]
    /// Credits of a payment session that already holds a credit under another `payment_id` (a second payment for one
    /// order): stored as `second-payment` operator items instead, so a session is never credited twice.
    public var secondPayments: [String]

    public init(
        duplicateEvent: Bool = false, insertedRows: [InsertedRow] = [], alreadyPresent: [String] = [],
        overRefunds: [String] = [], secondPayments: [String] = []
    ) {
        self.duplicateEvent = duplicateEvent
        self.insertedRows = insertedRows
        self.alreadyPresent = alreadyPresent
        self.overRefunds = overRefunds
        self.secondPayments = secondPayments
    }
}

/// Why the ledger refused an effect.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The database is unreachable or the connection dropped (answer 503).
        case unavailable
        /// COMMIT was sent but its outcome is unknown (answer 5xx; a retry goes through the unique keys).
        case unknownOutcome
        /// A refund names a payment row that does not exist yet (answer 503 so the gateway retries).
        case refundTargetMissing
        /// A unique key matched a row with different values (answer 500, log at error).
        case integrity
        /// Anything else from the database.
        case failed
    }
    public let kind: Kind
    public let message: String
    public var cause: (any Error)?

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause
    }

    public var description: String { "ledger \(kind): \(message)" }
}
