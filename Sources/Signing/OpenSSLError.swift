import COpenSSL

/// A failed OpenSSL call, with the library's own error queue drained into the message.
///
/// Draining matters: OpenSSL keeps a per-thread queue, and a stale entry left behind would be blamed on the next,
/// unrelated failure on the same worker thread.
public struct OpenSSLError: Error, Sendable, CustomStringConvertible {
    /// The first packed OpenSSL error code (`ERR_get_error`), or 0 when the failure was detected in Swift.
    public let code: UInt
    /// What was being done, followed by OpenSSL's reasons; never contains key material or message bytes.
    public let message: String

    /// Creates an error from the current thread's OpenSSL error queue, emptying it.
    init(_ context: String) {
        var first: UInt = 0
        var reasons: [String] = []
        while true {
            let packed = ERR_get_error()
            if packed == 0 { break }
            if first == 0 { first = packed }
            var buffer = [CChar](repeating: 0, count: 256)
            let text = buffer.withUnsafeMutableBufferPointer { raw -> String in
                guard let base = raw.baseAddress else { return "" }
                ERR_error_string_n(packed, base, raw.count)
                return String(cString: base)
            }
            reasons.append(text)
        }
        self.code = first
        self.message = reasons.isEmpty ? context : context + ": " + reasons.joined(separator: "; ")
    }

    public var description: String { "OpenSSL: \(message)" }

    /// Discards whatever is queued, after a failure that is expected (end of a PEM bundle, a bad signature).
    static func clearQueue() { ERR_clear_error() }
}
