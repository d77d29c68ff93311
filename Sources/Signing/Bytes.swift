/// Helpers that hand Swift byte arrays to C functions.
enum Bytes {
    /// Calls `body` with a pointer that is non-null even for an empty array, because several OpenSSL one-shot
    /// functions reject a NULL input although the length is 0; the length passed is the real one.
    static func withPointer<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>?, Int) throws -> R) rethrows -> R {
        let storage = bytes.isEmpty ? [0] : bytes
        return try storage.withUnsafeBufferPointer { buffer in try body(buffer.baseAddress, bytes.count) }
    }

    /// Fills a fresh array of `capacity` bytes through `body`, which returns how many it wrote (negative = failure).
    static func fill(capacity: Int, _ body: (UnsafeMutablePointer<UInt8>?) throws -> Int) rethrows -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: max(capacity, 1))
        let written = try out.withUnsafeMutableBufferPointer { buffer in try body(buffer.baseAddress) }
        guard written >= 0, written <= capacity else { return nil }
        out.removeSubrange(written...)
        return out
    }
}
