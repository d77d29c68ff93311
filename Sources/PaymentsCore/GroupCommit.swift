import Dispatch

/// Joins work that threads submit at about the same time into batches, the way a database's group commit joins
/// COMMITs: a submitter that finds nothing running becomes a leader and runs its item at once; otherwise it queues
/// and sleeps. When a batch ends, its leader appoints the oldest queued submitter to lead the next batch (every queued
/// submission, oldest first, at most `batchLimit`), wakes it, and only then hands each member its answer; the next
/// leader runs its batch with one call of its own `run`, on its own thread. Beside a running batch another starts (up
/// to `inFlightLimit`) once `companyMinimum` submissions are queued, so one slow batch does not hold up a full queue.
///
/// Nothing waits for a batch to fill while nothing runs: a lone submitter runs at once, alone. Batches grow only
/// while earlier ones are running, that is, exactly when the work behind `run` is the bottleneck. Why the responder
/// wants it: a credit confirmed in its own `CALL` costs MariaDB more than the credit's own writes (sql/0009), so
/// under load the credits of concurrent webhooks are confirmed together; a lone credit started beside a running
/// batch would pay that price at the busiest moment, hence `companyMinimum`.
///
/// Each submitter sleeps on its own semaphore and is woken exactly once per reason: its answer is ready, or it is
/// to lead. Waking every waiter whenever any batch ended (one shared condition) cost each delivery several context
/// switches under load for nothing.
public final class GroupCommit<Item: Sendable, Answer: Sendable>: Sendable {
    public let batchLimit: Int
    public let inFlightLimit: Int
    /// Queued submissions needed to start a batch beside one that is running; with none running, one suffices.
    public let companyMinimum: Int

    /// One submitted item and how its submitter is woken.
    ///
    /// `@unchecked Sendable`: `answer` and `batchToLead` are written by one thread (the leader that ran the batch,
    /// or the one that appointed this submitter) before it signals `wake`, and read by the submitter only after
    /// `wake.wait()` returns; the semaphore orders the two. A leader's own answer is never stored here.
    private final class Submission: @unchecked Sendable {
        let item: Item
        let wake = DispatchSemaphore(value: 0)
        var answer: Answer?
        var batchToLead: [Submission]?

        init(_ item: Item) { self.item = item }
    }

    /// Invariant outside the lock: the queue is empty or a batch is running, so nothing queued is left without a
    /// leader to come.
    private struct State {
        var queue: [Submission] = []
        var running = 0
    }

    private let state = Locked(State())

    /// - Parameters:
    ///   - batchLimit: the most items one `run` gets.
    ///   - inFlightLimit: the most batches running at once (each leader uses its own resources, e.g. connection).
    ///   - companyMinimum: the queued submissions it takes to start a batch while another runs (1: at once).
    public init(batchLimit: Int, inFlightLimit: Int, companyMinimum: Int = 1) {
        self.batchLimit = max(1, batchLimit)
        self.inFlightLimit = max(1, inFlightLimit)
        self.companyMinimum = max(1, companyMinimum)
    }

    /// Submits `item` and returns its answer, running a batch (this one's, with others') on this thread when it
    /// leads.
    ///
    /// - Parameters:
    ///   - willWait: called on this thread just before it sleeps (e.g. to give back a connection it will not use
    ///     while it waits; `run` takes one again when this thread leads a batch).
    ///   - run: answers a batch, one answer per item in the same order; called on this thread, never while the lock
    ///     is held. It must not throw: failures are answers (e.g. `Result`).
    public func submit(
        _ item: Item, willWait: () -> Void = {}, run: ([Item]) -> [Answer]
    ) -> Answer {
        let queued: (Submission, [Submission])? = state.withLock { state in
            guard state.queue.isEmpty && mayStartBatch(running: state.running, queued: 1) else {
                let submission = Submission(item)
                state.queue.append(submission)
                return (submission, appointLeaders(&state))
            }
            state.running += 1
            return nil
        }
        let submission: Submission
        if let (queuedSubmission, leaders) = queued {
            submission = queuedSubmission
            wake(leaders)
        } else {
            // Alone (the common case below saturation): this one item runs at once, with nothing allocated for it.
            let answers = run([item])
            if let answer = answers.first {
                wake(finish(requeueing: []))
                return answer
            }
            // Answered nothing: queued like any other, to be run again.
            submission = Submission(item)
            wake(finish(requeueing: [submission]))
        }
        // Queued: `answer` and `batchToLead` are read only after the `wake.wait()` that their writer's signal ends.
        // Reading `answer` before waiting raced with the leader writing it, and crashed the responder under load
        // (bench/README.md, "twentieth session"). A leader takes its own answer from its batch's, not from
        // `answer`: when its own item went unanswered it is queued again, and another leader may be writing it.
        while true {
            willWait()
            submission.wake.wait()
            if let batch = submission.batchToLead {
                submission.batchToLead = nil
                if let answer = lead(batch, run: run) { return answer }
            } else if let answer = submission.answer {
                return answer
            }
        }
    }

    /// Runs `batch` (its slot in `running` already taken), hands out the answers and returns the leader's own (the
    /// batch's first), or nil when `run` left it unanswered. A `run` that answered too few leaves the rest queued;
    /// they are run again.
    private func lead(_ batch: [Submission], run: ([Item]) -> [Answer]) -> Answer? {
        let answers = run(batch.map { $0.item })
        let answered = min(answers.count, batch.count)
        let leaders = finish(requeueing: batch[answered...])
        for (member, answer) in zip(batch.dropFirst(), answers.dropFirst()) { member.answer = answer }
        // The next batch's leader first: a member woken here may take this thread's CPU at once, and with the
        // leader woken last the next batch waited for every member's answer (0.8–1.5 ms per batch on the bench
        // machine, against 0.3–0.5 ms of the leader's own wake-up this way; bench/README.md, "the next leader first").
        wake(leaders)
        // The leader is the batch's first member: its own answer is returned, not signalled.
        for member in batch.prefix(answered).dropFirst() { member.wake.signal() }
        return answers.first
    }

    /// Gives back a finished batch's slot, queues `unanswered` again, and appoints a leader for each batch that may
    /// start now (the oldest queued submission heads it). Returns the leaders, to be woken outside the lock.
    private func finish(requeueing unanswered: ArraySlice<Submission>) -> [Submission] {
        state.withLock { state in
            state.running -= 1
            state.queue.append(contentsOf: unanswered)
            return appointLeaders(&state)
        }
    }

    /// Starts every batch that may start now (`mayStartBatch`): the oldest queued submission heads each.
    private func appointLeaders(_ state: inout State) -> [Submission] {
        var leaders: [Submission] = []
        while !state.queue.isEmpty && mayStartBatch(running: state.running, queued: state.queue.count) {
            let next = Array(state.queue.prefix(batchLimit))
            state.queue.removeFirst(next.count)
            state.running += 1
            next[0].batchToLead = next
            leaders.append(next[0])
        }
        return leaders
    }

    /// Whether a batch of `queued` waiting items may start while `running` batches run: always with none running,
    /// beside others only below `inFlightLimit` and with `companyMinimum` items.
    private func mayStartBatch(running: Int, queued: Int) -> Bool {
        running == 0 || (running < inFlightLimit && queued >= companyMinimum)
    }

    private func wake(_ leaders: [Submission]) {
        for leader in leaders { leader.wake.signal() }
    }
}
