import Foundation
import Synchronization
import Testing

/// Polls `condition` until it holds or `timeout` seconds pass; for asynchronous effects such as webhook
/// delivery by the sandbox and the responder's Retail push. Errors inside the condition count as "not yet".
/// Running out of time fails: the last error from the condition is rethrown, or `PollTimeout` when it simply never
/// held, so a caller that ignores the result still fails its test. The result is always `true` (for `#expect`).
@discardableResult
func eventually(
    timeout: Double = 15, interval: Double = 0.1, fileID: String = #fileID, line: Int = #line,
    _ condition: () throws -> Bool
) throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: (any Error)?
    while true {
        do {
            if try condition() { return true }
            lastError = nil
        } catch {
            lastError = error
        }
        if Date() >= deadline { break }
        Thread.sleep(forTimeInterval: interval)
    }
    if let lastError { throw lastError }
    throw PollTimeout(seconds: timeout, place: "\(fileID):\(line)")
}

/// A condition given to `eventually` did not hold in time.
struct PollTimeout: Error, CustomStringConvertible {
    let seconds: Double
    let place: String
    var description: String { "condition still false after \(seconds) s (polled at \(place))" }
}

/// Waits `seconds` (for "nothing happens" checks after an asynchronous trigger).
func pause(_ seconds: Double) {
    Thread.sleep(forTimeInterval: seconds)
}

/// Runs `count` copies of `body` at once on separate threads and returns their results in index order.
func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = ResultSlots<T>(count: count)
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            start.wait()
            results.set(index, body(index))
            group.leave()
        }
        thread.start()
    }
    for _ in 0..<count { start.signal() }
    group.wait()
    return results.values()
}

/// Puts a sandbox-wide switch back when a test's scope ends. A switch that cannot be restored fails the test that
/// set it, loudly, rather than leaving later tests to fail for no visible reason.
func restoring(_ what: String, _ restore: () throws -> Void) {
    do {
        try restore()
    } catch {
        Issue.record("could not restore \(what): \(error)")
    }
}

/// One call running on its own thread, for "while this waits, that happens" tests.
final class BackgroundCall<T: Sendable>: Sendable {
    private let result = Mutex<T?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let value = try? body()
            result.withLock { $0 = value }
            done.signal()
        }
        thread.start()
    }

    /// The call's result, or nil when it threw or did not finish within `timeout` seconds.
    func wait(timeout: Double) -> T? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return result.withLock { $0 }
    }
}
