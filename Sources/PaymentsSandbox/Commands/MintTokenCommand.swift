import ArgumentParser
import PaymentsCore

/// `payments-sandbox mint-token --uid U [--unverified-password]`: prints a Firebase ID token for a test user.
struct MintTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mint-token", abstract: "Mint a Firebase ID token.")

    @OptionGroup var options: ControlOptions

    @Option(help: "The Firebase uid (the token's sub).")
    var uid: String

    @Option(help: "An email claim to include.")
    var email: String?

    @Flag(help: "Sign in with provider 'password' and email_verified false.")
    var unverifiedPassword = false

    func run() throws {
        var body: [(String, JSONValue)] = [("uid", .string(uid))]
        if unverifiedPassword {
            body.append(("email_verified", .bool(false)))
            body.append(("sign_in_provider", .string("password")))
            body.append(("email", .string(email ?? "\(uid)@example.com")))
        } else if let email {
            body.append(("email", .string(email)))
        }
        let answer = try options.post("/firebase/mint", body)
        guard let token = answer["idToken"]?.stringValue else {
            var standardError = StandardError()
            print("unexpected answer: \(answer.serialized())", to: &standardError)
            throw ExitCode(1)
        }
        print(token)
    }
}
