import Foundation
import PaymentsCore
import Synchronization

/// An HTTPTransport whose calls hang until the test opens the gate: a stuck upstream without real timeouts.
final class GatedTransport: HTTPTransport, Sendable {
    private let state = Mutex<(calls: Int, open: Bool)>((0, false))
    private let answer: @Sendable (HTTPRequest) throws -> HTTPResponse

    init(_ answer: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        self.answer = answer
    }

    var calls: Int { state.withLock { $0.calls } }

    func open() { state.withLock { $0.open = true } }

    func close() { state.withLock { $0.open = false } }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        state.withLock { $0.calls += 1 }
        while !state.withLock({ $0.open }) { Thread.sleep(forTimeInterval: 0.005) }
        return try answer(request)
    }

    /// Waits until `count` calls have arrived; false after `timeout` seconds.
    func waitForCalls(_ count: Int, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while calls < count {
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }
}

/// Runs `count` copies of `body` on their own threads; `results(within:)` gives each one's value, nil for a copy
/// that has not finished in time.
final class ThreadRun<T: Sendable>: Sendable {
    private let values: Mutex<[Int: T]>
    private let group = DispatchGroup()
    let count: Int

    init(_ count: Int, _ body: @escaping @Sendable (Int) -> T) {
        self.count = count
        values = Mutex([:])
        for index in 0..<count {
            group.enter()
            let thread = Thread { [self] in
                let value = body(index)
                values.withLock { $0[index] = value }
                group.leave()
            }
            thread.start()
        }
    }

    func results(within timeout: Double) -> [T?] {
        _ = group.wait(timeout: .now() + timeout)
        return values.withLock { table in (0..<count).map { table[$0] } }
    }
}
