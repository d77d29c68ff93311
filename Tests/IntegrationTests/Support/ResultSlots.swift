import Synchronization

/// Thread-safe slots collecting the results of concurrent workers.
final class ResultSlots<T: Sendable>: Sendable {
    private let slots: Mutex<[T?]>

    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    func set(_ index: Int, _ value: T) { slots.withLock { $0[index] = value } }

    /// Every slot's value; a worker that stored nothing is a bug in the test itself.
    func values() -> [T] { slots.withLock { $0.compactMap { $0 } } }
}
