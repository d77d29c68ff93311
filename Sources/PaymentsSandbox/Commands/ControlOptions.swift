import ArgumentParser
import PaymentsCore

/// Where the operator helpers find the control API: `--control`, else `--env-file`'s SANDBOX_PORT_BASE, else port 8100.
struct ControlOptions: ParsableArguments {
    @Option(help: "The sandbox control base URL, e.g. http://127.0.0.1:8100.")
    var control: String?

    @Option(help: "An env file to take SANDBOX_PORT_BASE from when --control is not given.")
    var envFile: String?

    /// The control base URL without a trailing slash.
    func baseURL() throws -> String {
        if let control { return control.hasSuffix("/") ? String(control.dropLast()) : control }
        if let envFile {
            do {
                let reader = ConfigReader(try EnvironmentFile.load(path: envFile, required: true))
                return "http://127.0.0.1:\(try reader.int("SANDBOX_PORT_BASE", default: 8100, range: 1...65530))"
            } catch {
                var standardError = StandardError()
                print("payments-sandbox: \(error)", to: &standardError)
                throw ExitCode(ConfigurationError.exitCode)
            }
        }
        return "http://127.0.0.1:8100"
    }

    /// POSTs `body` to `path`, returning the parsed answer; a non-2xx answer is printed to stderr and exits 1.
    @discardableResult
    func post(_ path: String, _ body: [(String, JSONValue)]) throws -> JSONValue {
        let response = try HTTPClient.send(
            method: "POST", url: try baseURL() + path, headers: [("Content-Type", "application/json")],
            body: Array(JSONValue.object(body).serialized().utf8))
        let text = String(decoding: response.body, as: UTF8.self)
        guard (200..<300).contains(response.status) else {
            var standardError = StandardError()
            print("HTTP \(response.status): \(text)", to: &standardError)
            throw ExitCode(1)
        }
        return (try? JSONValue.parse(response.body)) ?? .string(text)
    }

    /// POSTs and prints the answer on stdout.
    func postAndPrint(_ path: String, _ body: [(String, JSONValue)]) throws {
        print(try post(path, body).serialized())
    }
}
