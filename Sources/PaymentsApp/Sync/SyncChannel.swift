import Foundation

/// A small blocking FIFO between the threads of a sync pass: `put` waits while it is full, `take` waits while
/// it is empty and returns nil once it is closed and drained.
///
/// `@unchecked Sendable`: `items` and `closed` are read and written only while `condition` is locked.
final class SyncChannel<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private let capacity: Int

    /// - Parameter capacity: the most elements held before `put` waits (`Int.max` for unbounded).
    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds an element, waiting for room; returns false (dropping it) when the channel is closed.
    @discardableResult
    func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count - head >= capacity { condition.wait() }
        guard !closed else { return false }
        items.append(element)
        condition.broadcast()
        return true
    }

    /// The oldest element, waiting for one; nil once the channel is closed and empty.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        guard items.count > head else { return nil }
        let element = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return element
    }

    /// Takes everything queued now without waiting (used to hand back claims when a pass stops).
    func drain() -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        let rest = Array(items[head...])
        items = []
        head = 0
        condition.broadcast()
        return rest
    }

    /// Elements waiting now.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    /// Waits until fewer than `limit` elements wait, or the channel is closed.
    func waitUntilBelow(_ limit: Int) {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count - head >= limit { condition.wait() }
    }

    /// Stops accepting elements; `take` still returns what is queued, then nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
