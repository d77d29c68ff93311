/// A start-up configuration problem; the message names the variable so an operator can fix it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// `EX_CONFIG` from sysexits.h, the exit code of every executable for a configuration error (DESIGN §7): systemd
    /// and operators read it as "fix the configuration, do not just restart".
    public static let exitCode: Int32 = 78

    public let variable: String
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration: \(variable) \(problem)" }
}
