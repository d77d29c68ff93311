import ArgumentParser
import PaymentsCore
import PaymentsStore

/// `payments-sync show`: everything the database holds about one payment or one customer, for the day a customer
/// asks where their money is.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the ledger rows, sync state, sessions, webhook events and operator items of a payment or uid.",
        discussion: "Exit codes: 0 shown, 1 nothing found or the database failed, 78 configuration error.")

    @OptionGroup var options: GlobalOptions

    @Option(name: .customLong("uid"), help: "A customer's Firebase uid.")
    var uid: String?

    @Option(name: .customLong("payment"), help: "A payment_id (or a gateway's id of a session).")
    var paymentID: String?

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func validate() throws {
        if (uid == nil) == (paymentID == nil) { throw ValidationError("give exactly one of --uid or --payment") }
    }

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let store = OperatorStore(configuration: environment.database)
        defer { store.close() }
        let sets: [RecordSet]
        do {
            if let paymentID {
                guard let found = try store.view(paymentID: paymentID) else {
                    SyncEnvironment.printError("nothing is stored about payment \(paymentID)")
                    throw ExitCode(1)
                }
                sets = found
            } else {
                sets = try store.view(uid: uid ?? "")
            }
        } catch let error as LedgerError {
            SyncEnvironment.printError("\(error)")
            throw ExitCode(1)
        }
        print(json ? RecordPrinter.json(sets).serialized() : RecordPrinter.text(sets), terminator: json ? "\n" : "")
    }
}
