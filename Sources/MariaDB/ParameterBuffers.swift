import CMariaDB

/// The parameter side of one prepared statement, kept across its executions: the `MYSQL_BIND` array, the length of
/// each value and one byte arena the values are copied into.
///
/// Binding allocated two arrays and one buffer per value on every execution; a statement executed again with values
/// that fit the arena now allocates nothing. The arena grows to the largest set of values up to
/// `Statement.maximumReusedBuffer`; a larger set gets an arena of its own, freed after that execution.
final class ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let lengths: UnsafeMutablePointer<UInt>
    private let count: Int
    private var arena: UnsafeMutableRawPointer
    private var arenaCapacity: Int
    private var oversized: UnsafeMutableRawPointer?

    /// Every slot starts at this alignment, enough for `Int64`, `Double` and `MYSQL_TIME`.
    static let alignment = 16

    init(parameterCount: Int) {
        count = max(parameterCount, 1)
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        arenaCapacity = 256
        arena = .allocate(byteCount: arenaCapacity, alignment: ParameterBuffers.alignment)
    }

    deinit {
        releaseOversized()
        arena.deallocate()
        binds.deallocate()
        lengths.deallocate()
    }

    /// The bytes `value` takes in the arena, rounded up to the slot alignment (at least one byte, so the pointer
    /// handed to the client library is never that of an empty slot shared with the next value).
    static func slotSize(of value: SQLValue) -> Int {
        let size: Int
        switch value {
        case .null: size = 0
        case .int, .double: size = 8
        case .datetime: size = MemoryLayout<MYSQL_TIME>.size
        case .text(let text): size = max(text.utf8.count, 1)
        case .bytes(let bytes): size = max(bytes.count, 1)
        }
        return (size + alignment - 1) / alignment * alignment
    }

    /// Clears the binds and lengths of the previous execution and returns storage of at least `byteCount` bytes
    /// for this one's values.
    func reset(byteCount: Int) -> UnsafeMutableRawPointer {
        releaseOversized()
        binds.update(repeating: MYSQL_BIND(), count: count)
        lengths.update(repeating: 0, count: count)
        if byteCount <= arenaCapacity { return arena }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: ParameterBuffers.alignment)
        if byteCount <= Statement.maximumReusedBuffer {
            arena.deallocate()
            arena = storage
            arenaCapacity = byteCount
        } else {
            oversized = storage
        }
        return storage
    }

    /// Frees the arena made for one execution whose values did not fit the reused one.
    func releaseOversized() {
        oversized?.deallocate()
        oversized = nil
    }
}
