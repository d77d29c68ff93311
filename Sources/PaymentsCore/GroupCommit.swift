import Foundation

/// Joins work that threads submit at about the same time into batches, the way a database's group commit joins
/// COMMITs: a submitter that finds fewer than `inFlightLimit` batches running becomes a leader, takes every queued
/// submission (oldest first, at most `batchLimit`) and runs them with one call of its own `run`, on its own thread;
/// the others wait for their answers.
///
/// Nothing waits for a batch to fill: a lone submitter runs at once, alone. Batches grow only while earlier ones
/// are running, that is, exactly when the work behind `run` is the bottleneck. Why the responder wants it: a credit
/// confirmed in its own `CALL` costs MariaDB more than the credit's own writes (sql/0009), so under load the
/// credits of concurrent webhooks are confirmed together.
///
/// `@unchecked Sendable`: `queue` and `running` are read and written only while `condition` is locked; a
/// `Submission` is written by one leader, then read by its submitter after the broadcast, under the same lock.
public final class GroupCommit<Item: Sendable, Answer: Sendable>: @unchecked Sendable {
    public let batchLimit: Int
    public let inFlightLimit: Int

    private final class Submission {
        let item: Item
        var answer: Answer?

        init(_ item: Item) { self.item = item }
    }

    private let condition = NSCondition()
    private var queue: [Submission] = []
    private var running = 0

    /// - Parameters:
    ///   - batchLimit: the most items one `run` gets.
    ///   - inFlightLimit: the most batches running at once (each leader uses its own resources, e.g. connection).
    public init(batchLimit: Int, inFlightLimit: Int) {
        self.batchLimit = max(1, batchLimit)
        self.inFlightLimit = max(1, inFlightLimit)
    }

    /// Submits `item` and returns its answer, running batches (this one's or others') on this thread while it
    /// leads.
    ///
    /// - Parameter run: answers a batch, one answer per item in the same order; called on this thread, never while
    ///   the lock is held. It must not throw: failures are answers (e.g. `Result`).
    public func submit(_ item: Item, run: ([Item]) -> [Answer]) -> Answer {
        condition.lock()
        defer { condition.unlock() }
        if queue.isEmpty && running < inFlightLimit {
            // Alone: lead a batch of this one item without queueing it (the common case below saturation).
            if let answer = lead([item], run: run).first { return answer }
        }
        let submission = Submission(item)
        queue.append(submission)
        while true {
            if let answer = submission.answer { return answer }
            guard running < inFlightLimit, !queue.isEmpty else {
                condition.wait()
                continue
            }
            let batch = Array(queue.prefix(batchLimit))
            queue.removeFirst(batch.count)
            let answers = lead(batch.map { $0.item }, run: run)
            for index in batch.indices {
                // A `run` that answered too few leaves the rest without an answer; they are run again.
                if index < answers.count { batch[index].answer = answers[index] } else { queue.append(batch[index]) }
            }
        }
    }

    /// Runs one batch as a leader: called and returning with `condition` locked, unlocked while `run` runs. The
    /// waiters it wakes get the lock only after the caller has handed out the answers and waits or returns.
    private func lead(_ items: [Item], run: ([Item]) -> [Answer]) -> [Answer] {
        running += 1
        condition.unlock()
        let answers = run(items)
        condition.lock()
        running -= 1
        defer { condition.broadcast() }
        return answers
    }
}
