import ArgumentParser
import PaymentsCore
import PaymentsStore

/// `payments-sync requeue`: makes failed rows due again after an operator fixed the cause (DESIGN §7).
struct RequeueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue", abstract: "Make a failed row (or every failed row) due for the next sync pass.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The payment_id of the row to requeue.")
    var paymentID: String?

    @Flag(name: .customLong("all-failed"), help: "Requeue every row in sync_state 'failed'.")
    var allFailed = false

    func validate() throws {
        if allFailed == (paymentID != nil) {
            throw ValidationError("give exactly one of <payment_id> or --all-failed")
        }
    }

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let store = SyncStore(configuration: environment.database)
        defer { store.close() }
        let audit = OperatorStore(configuration: environment.database)
        defer { audit.close() }
        let target = paymentID ?? "--all-failed"
        do {
            let result: String
            if let paymentID {
                result = try store.requeue(paymentID: paymentID) ? "due" : "not-found"
            } else {
                result = "\(try store.requeueAllFailed()) row(s) due"
            }
            try audit.record(
                OperatorAction(
                    action: "requeue", target: target, osUser: OperatorIdentity.current(), reason: nil, result: result))
            guard result != "not-found" else {
                SyncEnvironment.printError("no failed or pending row with payment_id \(target)")
                throw ExitCode(1)
            }
            print(paymentID == nil ? "requeue: \(result)" : "requeue: \(target) is due")
        } catch let error as LedgerError {
            SyncEnvironment.printError("\(error)")
            throw ExitCode(1)
        }
    }
}
