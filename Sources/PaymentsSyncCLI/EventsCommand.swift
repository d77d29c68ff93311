import ArgumentParser
import PaymentsApp
import PaymentsCore
import PaymentsStore

/// `payments-sync events`: stored webhook deliveries.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Work with stored webhook events.", subcommands: [EventsReplayCommand.self])
}

/// `payments-sync events replay <event_id> [--gateway <g>] --reason <text>`: processes a stored delivery again,
/// for the day a bug was fixed after deliveries were processed wrongly.
struct EventsReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Process a stored webhook event again through its gateway's normal webhook path.",
        discussion: """
            The stored payload (raw bytes as received) is not verified again: only deliveries that passed \
            verification are ever stored, so the row proves it was verified when received (a signature's time \
            window or the sender's address could not be checked again anyway). It goes through the gateway's webhook \
            path, re-reading the gateway where that path re-reads. Money effects keep their unique keys: replaying \
            an event that was applied books nothing and says so, and an operator item already recorded (same reference \
            and reason) is not added again. When the replay books something or its outcome \
            differs, the webhook_events row takes the new outcome and processed_at (received_at and the payload stay \
            as received); the previous outcome is kept in the operator_actions result. \
            \(GatewayOperation.exitCodes)
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The stored event id (webhook_events.event_id, e.g. evt_…, WH-…, <uuid>:<status>).")
    var eventID: String

    @Option(help: "The gateway's ledger id, when several gateways stored this event id.")
    var gateway: String?

    @Option(help: "Why (required; recorded).")
    var reason: String

    func validate() throws { try GatewayOperation.validate(reason: reason) }

    func run() throws {
        var replayed: WebhookEventRecord?
        try GatewayOperation.run(
            "events-replay", target: eventID, reason: reason, options: options,
            record: { store, action, report in
                guard let replayed, let report else { return try store.record(action) }
                try store.recordReplay(of: replayed, outcome: report.eventOutcome, action: action)
            }
        ) { console, store in
            let events = try store.storedEvents(eventID: eventID, gateway: gateway)
            guard let event = events.first else {
                throw OperatorCommandError.refused(
                    "no stored webhook event \(eventID)\(gateway.map { " of \($0)" } ?? "")")
            }
            guard events.count == 1 else {
                throw OperatorCommandError.refused(
                    "event id \(eventID) is stored for \(events.map(\.gateway).joined(separator: ", ")): give --gateway"
                )
            }
            guard !event.payload.isEmpty else {
                throw OperatorCommandError.refused(
                    "the payload of \(event.gateway) event \(eventID) was purged (WEBHOOK_RETENTION_DAYS)")
            }
            let result = try console.replay(event)
            replayed = event
            return Self.report(event, result)
        }
    }

    /// The line for the operator and the outcome to store: nil when nothing changed.
    static func report(_ event: WebhookEventRecord, _ result: SettlementResult) -> GatewayOperation.Report {
        let outcome = result.outcome ?? "no-change"
        let booked = result.ledger.insertedRows.map(\.paymentID)
        let present = result.ledger.alreadyPresent
        let items = result.ledger.overRefunds + result.ledger.secondPayments
        let changed = !booked.isEmpty || !items.isEmpty || outcome != event.outcome
        var line = "\(event.gateway) \(event.eventID) (\(event.eventType)): "
        if changed {
            line += "outcome \(event.outcome) -> \(outcome)"
            if !booked.isEmpty { line += "; booked \(booked.joined(separator: ","))" }
            if !items.isEmpty { line += "; operator items for \(items.joined(separator: ","))" }
        } else {
            line += "nothing changed (outcome \(outcome))"
        }
        if !present.isEmpty { line += "; already booked \(present.joined(separator: ","))" }
        return GatewayOperation.Report(line: line, eventOutcome: changed ? outcome : nil)
    }
}
