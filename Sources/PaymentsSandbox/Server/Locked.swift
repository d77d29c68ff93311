import Glibc

/// A value behind an adaptive pthread mutex.
///
/// Used instead of `Synchronization.Mutex`, which on Linux is a priority-inheritance futex: every contended acquisition
/// goes through the kernel, and with dozens of connection threads hammering one short critical section (the Retail load
/// test) that costs more than the work itself. An adaptive mutex spins briefly first.
///
/// `@unchecked Sendable`: `value` is only read or written inside `withLock`, while `mutex` is held, and the mutex lives
/// at a stable heap address for the object's whole life.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
