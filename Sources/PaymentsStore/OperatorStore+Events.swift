import MariaDB
import PaymentsCore

extension OperatorStore {
    /// The stored deliveries with this event id (one per gateway that used it), or only `gateway`'s.
    public func storedEvents(eventID: String, gateway: String?) throws(LedgerError) -> [WebhookEventRecord] {
        try database.run { connection in
            try connection.query(
                """
                SELECT gateway, event_id, event_type, payload, headers, outcome FROM webhook_events \
                WHERE event_id = ? \(gateway == nil ? "" : "AND gateway = ? ")ORDER BY gateway
                """, [SQLValue.text(eventID)] + (gateway.map { [SQLValue.text($0)] } ?? [])
            ).map { row in
                var headers: [(String, String)] = []
                if let text = try row.optionalString(4), case .object(let members)? = try? JSONValue.parse(text) {
                    headers = members.compactMap { name, value in value.stringValue.map { (name, $0) } }
                }
                return WebhookEventRecord(
                    gateway: try row.string(0), eventID: try row.string(1), eventType: try row.string(2),
                    payload: try row.optionalBytes(3) ?? [], headers: headers, outcome: try row.string(5))
            }
        }
    }

    /// Records a replay: when it changed something, the event row takes the replay's outcome and time
    /// (`processed_at`; `received_at` and the payload stay as received); the action is recorded either way, in
    /// the same transaction.
    public func recordReplay(of event: WebhookEventRecord, outcome: String?, action: OperatorAction)
        throws(LedgerError)
    {
        try database.transaction { connection throws -> TransactionEnd<Void> in
            if let outcome {
                try connection.execute(
                    """
                    UPDATE webhook_events SET outcome = ?, processed_at = UTC_TIMESTAMP(6) \
                    WHERE gateway = ? AND event_id = ?
                    """, [.text(String(outcome.prefix(64))), .text(event.gateway), .text(event.eventID)])
            }
            try Self.insert(action, connection)
            return .commit(())
        }
    }
}
