import ArgumentParser
import BuildInfo

/// `payments-sandbox`: emulates every outside service on loopback, plus operator helpers that call its control API.
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments-sandbox",
        abstract: "Emulates Stripe, Firebase, reCAPTCHA and the Retail API on 127.0.0.1 for local runs and tests.",
        version: BuildInfo.description,
        subcommands: [ServeCommand.self, MintTokenCommand.self, StripeCommand.self, RetailCommand.self])
}
