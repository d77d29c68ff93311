/// Step (a)–(d) of a client-initiated payment (DESIGN §1.1), shared by every gateway that creates a
/// payment at the gateway on the client's request.
public enum SessionCreation {
    /// What the gateway call produced: its object id, the reference it echoed back, and the client answer.
    public struct Created<Answer> {
        public var externalID: String
        /// The session reference the gateway returned (`metadata[session_id]`, `custom_id`, `order_id`);
        /// it must equal the session's `public_id`.
        public var echoedReference: String?
        public var answer: Answer

        public init(externalID: String, echoedReference: String?, answer: Answer) {
            self.externalID = externalID
            self.echoedReference = echoedReference
            self.answer = answer
        }
    }

    /// Commits a `creating` session, calls the gateway, and links the gateway's object to the session.
    ///
    /// A gateway failure marks the session `failed` and rethrows (502/503); an answer naming another
    /// reference stores nothing and is 502; a failure to store the link is 500 and left to reconciliation.
    public static func run<Answer>(
        _ context: RequestContext, gateway: String, uid: String, amount: Money,
        call: (PaymentSession) throws -> Created<Answer>
    ) throws -> Answer {
        let session = try context.ledger.createSession(gateway: gateway, uid: uid, amount: amount, currency: "USD")
        let created: Created<Answer>
        do {
            created = try call(session)
        } catch {
            try? context.ledger.updateSessionStatus(sessionID: session.id, status: .failed)
            throw error
        }
        guard created.echoedReference == session.publicID else {
            try? context.ledger.updateSessionStatus(sessionID: session.id, status: .failed)
            throw APIError(.gatewayUnavailable, "\(gateway) answered with an object that is not this session's")
        }
        try context.ledger.attachExternalID(sessionID: session.id, externalID: created.externalID, status: .pending)
        return created.answer
    }
}
