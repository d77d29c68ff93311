import Foundation

/// What a finished child process left behind.
struct CommandResult: Sendable, CustomStringConvertible {
    let status: Int32
    let output: String
    let error: String

    var description: String { "exit \(status)\nstdout: \(output.suffix(2000))\nstderr: \(error.suffix(2000))" }
}

/// Runs the project's executables and scripts as child processes (payments-sync, db-stop.sh, …).
enum Command {
    /// Runs `path` with `arguments` to completion; output is captured through temporary files so a chatty child
    /// can never block on a full pipe.
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120)
        throws -> CommandResult
    {
        let running = try start(path, arguments, environment: environment)
        return try running.wait(timeout: timeout)
    }

    /// Starts `path` without waiting.
    static func start(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunningCommand {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw IntegrationSetupError(description: "\(path) is not an executable (build the debug products first)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itest-\(TestIDs.random(12))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        return RunningCommand(process: process, directory: directory)
    }
}

/// A child process started by `Command.start`.
final class RunningCommand: @unchecked Sendable {
    // Safe: `Process` is only touched through its thread-safe accessors (isRunning, terminationStatus,
    // processIdentifier), and the paths are immutable.
    let process: Process
    let directory: URL

    init(process: Process, directory: URL) {
        self.process = process
        self.directory = directory
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits for the exit (killing the child after `timeout`) and returns its status and output.
    func wait(timeout: Double) throws -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw IntegrationSetupError(description: "\(process.executableURL?.path ?? "child") ran longer than \(timeout) s: "
                + "\(read("stderr").suffix(2000))")
        }
        process.waitUntilExit()
        let result = CommandResult(status: process.terminationStatus, output: read("stdout"), error: read("stderr"))
        try? FileManager.default.removeItem(at: directory)
        return result
    }

    private func read(_ name: String) -> String {
        let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
