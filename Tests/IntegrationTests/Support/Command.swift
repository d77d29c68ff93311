import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished child process left behind.
struct CommandResult: Sendable, CustomStringConvertible {
    let status: Int32
    let output: String
    let error: String

    var description: String { "exit \(status)\nstdout: \(output.suffix(2000))\nstderr: \(error.suffix(2000))" }
}

/// Runs the project's executables and scripts as child processes (payments-sync, db-stop.sh, …).
///
/// Uses `posix_spawn` and `waitpid` directly rather than Foundation's `Process`, whose SIGCHLD monitoring was seen to
/// leave a script that daemonises (db-start.sh starts mariadbd with nohup) unreaped, hanging `waitUntilExit()`.
enum Command {
    /// Runs `path` with `arguments` to completion; output goes to temporary files so a chatty child never blocks.
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120)
        throws -> CommandResult
    {
        try start(path, arguments, environment: environment).wait(timeout: timeout)
    }

    /// Starts `path` without waiting. `environment` is added to (and overrides) this process's environment.
    static func start(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> RunningCommand
    {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw IntegrationSetupError(description: "\(path) is not an executable (build the debug products first)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itest-\(TestIDs.random(12))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, directory.appendingPathComponent("stdout").path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(
            &actions, 2, directory.appendingPathComponent("stderr").path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv = ([path] + arguments).map { strdup($0) }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv + [nil], envp + [nil])
        guard status == 0 else {
            throw IntegrationSetupError(description: "posix_spawn \(path) failed: errno \(status)")
        }
        return RunningCommand(pid: pid, path: path, directory: directory)
    }
}

/// A child process started by `Command.start`.
final class RunningCommand: Sendable {
    let pid: pid_t
    let path: String
    let directory: URL
    private let exitStatus = ResultSlots<Int32>(count: 1)

    init(pid: pid_t, path: String, directory: URL) {
        self.pid = pid
        self.path = path
        self.directory = directory
    }

    /// Reaps the child if it has exited; true while it runs.
    var isRunning: Bool {
        if !exitStatus.values().isEmpty { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return reaped == 0 }
        exitStatus.set(0, RunningCommand.decode(status))
        return false
    }

    /// Sends `signal` to the child (only while it has not been reaped, so a recycled pid is never hit).
    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the exit (killing the child after `timeout`) and returns its status and output.
    func wait(timeout: Double) throws -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { Thread.sleep(forTimeInterval: 0.05) }
            throw IntegrationSetupError(
                description: "\(path) ran longer than \(timeout) s: \(read("stderr").suffix(2000))")
        }
        let result = CommandResult(
            status: exitStatus.values().first ?? -1, output: read("stdout"), error: read("stderr"))
        try? FileManager.default.removeItem(at: directory)
        return result
    }

    /// Exit code, or 128 + signal number for a child killed by a signal (as shells report it).
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private func read(_ name: String) -> String {
        let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
