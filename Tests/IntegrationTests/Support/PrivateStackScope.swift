import Foundation
import Testing

/// A suite trait: the suite's tests run on one private stack (`PrivateStack`), started before its first test and
/// stopped after its last. Each test takes it with `PrivateStack.fresh()`, which first empties the database and
/// resets the sandbox, so every row, session and switch a test sees is its own, whatever ran before it — what
/// `payments-sync` exit codes and the metrics gauges need, since they count every due row in the database.
struct PrivateStackScope: SuiteTrait, TestScoping {
    let tag: String

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let own = try PrivateStack.start(tag, from: try Stack.connect())
        defer { own.stop() }
        try await PrivateStack.$suiteStack.withValue(own) { try await function() }
    }
}

extension Trait where Self == PrivateStackScope {
    /// Runs the suite on a private stack `test-<tag>` of its own; its tests call `PrivateStack.fresh()`.
    static func privateStack(_ tag: String) -> Self { PrivateStackScope(tag: tag) }
}

extension PrivateStack {
    /// The stack of the suite being run (set by `PrivateStackScope`).
    @TaskLocal static var suiteStack: PrivateStack?

    /// The suite's private stack, emptied and reset for the calling test.
    static func fresh() throws -> Stack {
        guard let own = suiteStack else {
            throw IntegrationSetupError(description: "no private stack: the suite needs the .privateStack trait")
        }
        try own.reset()
        return own.stack
    }

    /// Lets the sandbox finish the webhook deliveries still in flight (they would land in the next test), then resets
    /// every sandbox service and switch and deletes every row of every table but `schema_migrations`. Rows are
    /// deleted rather than truncated so ids are never reused: a push still queued in the responder finds no row.
    func reset() throws {
        let sandbox = stack.sandbox
        let settled = try eventually(timeout: 30, interval: 0.2) {
            try sandbox.events().allSatisfy {
                ["delivered", "failed", "not_sent", "no_target"].contains($0["delivery_status"]?.stringValue ?? "")
            }
        }
        try #require(settled, "webhook deliveries still in flight")
        try sandbox.resetAll()
        try stack.db.with { connection in
            try connection.executeText("SET FOREIGN_KEY_CHECKS = 0")
            for table in ["tn_payments", "payment_sessions", "webhook_events", "operator_items"] {
                try connection.executeText("DELETE FROM \(table)")
            }
            try connection.executeText("SET FOREIGN_KEY_CHECKS = 1")
        }
    }
}
