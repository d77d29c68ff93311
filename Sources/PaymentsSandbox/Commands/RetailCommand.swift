import ArgumentParser
import PaymentsCore

/// `payments-sandbox retail …`: switches the Retail emulator's failure mode.
struct RetailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retail", abstract: "Drive the Retail API emulator.", subcommands: [Mode.self])

    /// Sets the failure mode and latency.
    struct Mode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the Retail API mode.")
        @OptionGroup var options: ControlOptions
        @Argument(help: "ok | fail | down | slow | flap | lose-answer | unauthorized") var mode: String
        @Option(help: "Added latency in milliseconds (every mode).") var latencyMs: Int?

        func run() throws {
            var body: [(String, JSONValue)] = [("mode", .string(mode))]
            if let latencyMs { body.append(("latency_ms", .int(latencyMs))) }
            try options.postAndPrint("/control/retail", body)
        }
    }
}
