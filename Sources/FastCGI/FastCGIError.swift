#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed libfcgi or socket call, carrying what the C layer reported so the caller can log it once and decide.
public struct FastCGIError: Error, Sendable, CustomStringConvertible {
    /// The C call that failed, e.g. `FCGX_Accept_r`.
    public let operation: String
    /// The libfcgi return code (negative errno for most calls, `-9999` for an unknown failure), or -1 for plain syscalls.
    public let code: Int32
    /// `errno` read immediately after the call (0 when the library did not set it).
    public let systemError: Int32
    /// Extra context such as the socket path; never request data.
    public let detail: String

    /// Creates an error for `operation` with the code and errno the C call produced.
    public init(operation: String, code: Int32, systemError: Int32, detail: String = "") {
        self.operation = operation
        self.code = code
        self.systemError = systemError
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation) failed (code \(code), errno \(systemError)"
        if systemError > 0, let message = strerror(systemError) { text += ": " + String(cString: message) }
        text += ")"
        return detail.isEmpty ? text : text + " " + detail
    }
}
