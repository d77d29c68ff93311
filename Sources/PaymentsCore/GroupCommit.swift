import Dispatch
import Synchronization

/// Joins work that threads submit at about the same time into batches, the way a database's group commit joins
/// COMMITs: a submitter that finds fewer than `inFlightLimit` batches running becomes a leader and runs its item at
/// once; one that finds them all busy queues and sleeps. When a batch ends, its leader hands each member its answer
/// and appoints the oldest queued submitter to lead the next batch (every queued submission, oldest first, at most
/// `batchLimit`), which it runs with one call of its own `run`, on its own thread.
///
/// Nothing waits for a batch to fill: a lone submitter runs at once, alone. Batches grow only while earlier ones
/// are running, that is, exactly when the work behind `run` is the bottleneck. Why the responder wants it: a credit
/// confirmed in its own `CALL` costs MariaDB more than the credit's own writes (sql/0009), so under load the
/// credits of concurrent webhooks are confirmed together.
///
/// Each submitter sleeps on its own semaphore and is woken exactly once per reason: its answer is ready, or it is
/// to lead. Waking every waiter whenever any batch ended (one shared condition) cost each delivery several context
/// switches under load for nothing.
public final class GroupCommit<Item: Sendable, Answer: Sendable>: Sendable {
    public let batchLimit: Int
    public let inFlightLimit: Int

    /// One submitted item and how its submitter is woken.
    ///
    /// `@unchecked Sendable`: `answer` and `batchToLead` are written by one thread (the leader that ran the batch,
    /// or the one that appointed this submitter) before it signals `wake`, and read by the submitter only after
    /// `wake.wait()` returns (or, for its own batch, by the leader itself); the semaphore orders the two.
    private final class Submission: @unchecked Sendable {
        let item: Item
        let wake = DispatchSemaphore(value: 0)
        var answer: Answer?
        var batchToLead: [Submission]?

        init(_ item: Item) { self.item = item }
    }

    /// Invariant outside the lock: the queue is empty or `running == inFlightLimit`, so nothing queued is left
    /// without a leader to come.
    private struct State {
        var queue: [Submission] = []
        var running = 0
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - batchLimit: the most items one `run` gets.
    ///   - inFlightLimit: the most batches running at once (each leader uses its own resources, e.g. connection).
    public init(batchLimit: Int, inFlightLimit: Int) {
        self.batchLimit = max(1, batchLimit)
        self.inFlightLimit = max(1, inFlightLimit)
    }

    /// Submits `item` and returns its answer, running a batch (this one's, with others') on this thread when it
    /// leads.
    ///
    /// - Parameter run: answers a batch, one answer per item in the same order; called on this thread, never while
    ///   the lock is held. It must not throw: failures are answers (e.g. `Result`).
    public func submit(_ item: Item, run: ([Item]) -> [Answer]) -> Answer {
        let submission = Submission(item)
        var batch: [Submission]? = state.withLock { state in
            if state.queue.isEmpty && state.running < inFlightLimit {
                // Alone: lead a batch of this one item (the common case below saturation).
                state.running += 1
                return [submission]
            }
            state.queue.append(submission)
            return nil
        }
        while true {
            if let batch { lead(batch, run: run) }
            if let answer = submission.answer { return answer }
            submission.wake.wait()
            batch = submission.batchToLead
            submission.batchToLead = nil
        }
    }

    /// Runs `batch` (its slot in `running` already taken), hands out the answers, and appoints leaders for what is
    /// queued. A `run` that answered too few leaves the rest queued; they are run again.
    private func lead(_ batch: [Submission], run: ([Item]) -> [Answer]) {
        let answers = run(batch.map { $0.item })
        let answered = min(answers.count, batch.count)
        let leaders: [Submission] = state.withLock { state in
            state.running -= 1
            state.queue.append(contentsOf: batch[answered...])
            var leaders: [Submission] = []
            while !state.queue.isEmpty && state.running < inFlightLimit {
                let next = Array(state.queue.prefix(batchLimit))
                state.queue.removeFirst(next.count)
                state.running += 1
                next[0].batchToLead = next
                leaders.append(next[0])
            }
            return leaders
        }
        // The leader is among the members: setting its own answer without a signal is read by its own loop.
        for index in 0..<answered {
            batch[index].answer = answers[index]
            if index > 0 { batch[index].wake.signal() }
        }
        for leader in leaders { leader.wake.signal() }
    }
}
