import ArgumentParser
import Logging
import PaymentsApp
import PaymentsCore
import PaymentsStore

/// Runs one operator command that calls a gateway (`refund`, `capture`, `cancel`, `events replay`): builds the
/// gateways as the responder does, runs the command, records it in `operator_actions` whatever the result, logs one
/// line, and maps the result to the documented exit code.
enum GatewayOperation {
    /// Exit code when the command was refused before anything was sent to the gateway.
    static let refusedExitCode: Int32 = 3
    /// Exit code when the gateway has no such operation here.
    static let notSupportedExitCode: Int32 = 4
    /// The exit codes, for each command's `--help`.
    static let exitCodes =
        "Exit codes: 0 done, 1 the gateway or the database failed (see the message), 3 refused before calling the "
        + "gateway (nothing is left, wrong state, unknown payment), 4 not supported for that gateway, "
        + "78 configuration error."

    /// What a command body reports: the line printed and recorded, and the event outcome to store (replay only).
    struct Report {
        var line: String
        var eventOutcome: String? = nil
    }

    /// Loads the configuration, runs `body` and records it; throws `ExitCode` when it did not succeed.
    /// - Parameter record: writes the `operator_actions` row (the replay writes it with the event row); nil
    ///   records it alone.
    static func run(
        _ action: String, target: String, reason: String, options: GlobalOptions,
        record: ((OperatorStore, OperatorAction, Report?) throws -> Void)? = nil,
        _ body: (OperatorConsole, OperatorStore) throws -> Report
    ) throws {
        let environment = try SyncEnvironment.load(options)
        let console: OperatorConsole
        do {
            console = try OperatorConsole(
                configuration: environment.config, transport: environment.transport, logger: environment.logger)
        } catch let error as ConfigurationError {
            throw SyncEnvironment.fail(error)
        } catch {
            SyncEnvironment.printError("\(action) cannot start: \(error)")
            throw ExitCode(1)
        }
        defer { console.close() }
        let store = OperatorStore(configuration: environment.database)
        defer { store.close() }
        let user = OperatorIdentity.current()
        var report: Report?
        var code: Int32 = 0
        var result: String
        do {
            let done = try body(console, store)
            report = done
            result = done.line
        } catch let error as OperatorCommandError {
            if case .notSupported = error { code = notSupportedExitCode } else { code = refusedExitCode }
            result = "refused: \(error)"
        } catch let error as any APIErrorConvertible {
            code = 1
            result = "failed: \(error.apiError.message)"
        } catch {
            code = 1
            result = "failed: \(error)"
        }
        let operatorAction = OperatorAction(
            action: action, target: target, osUser: user, reason: reason, result: result)
        do {
            if let record { try record(store, operatorAction, report) } else { try store.record(operatorAction) }
        } catch {
            SyncEnvironment.printError("could not record the action in operator_actions: \(error)")
            code = max(code, 1)
        }
        environment.logger.notice(
            "operator action",
            metadata: [
                "operator.action": "\(action)", "operator.target": "\(target)", "operator.user": "\(user)",
                "operator.result": "\(result)",
            ])
        guard code == 0 else {
            SyncEnvironment.printError("\(action) \(target): \(result)")
            throw ExitCode(code)
        }
        print("\(action): \(result)")
    }

    /// Rejects an empty `--reason`.
    static func validate(reason: String) throws {
        if reason.allSatisfy(\.isWhitespace) { throw ValidationError("--reason must say why") }
    }
}
