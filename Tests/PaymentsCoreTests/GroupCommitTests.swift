import Foundation
import PaymentsCore
import Synchronization
import Testing

/// The group commit's coordination, without a database: who leads, what a batch holds, how many run at once, and
/// that every submitter gets its own answer.
@Suite struct GroupCommitTests {
    /// What the `run` closures saw, shared by the submitting threads.
    final class Recorder: Sendable {
        let batches = Mutex<[[Int]]>([])
        let running = Atomic<Int>(0)
        let mostRunning = Atomic<Int>(0)

        func run(_ items: [Int], hold: Double = 0) -> [Int] {
            let now = running.add(1, ordering: .sequentiallyConsistent).newValue
            _ = mostRunning.max(now, ordering: .sequentiallyConsistent)
            batches.withLock { $0.append(items) }
            if hold > 0 { Thread.sleep(forTimeInterval: hold) }
            running.subtract(1, ordering: .sequentiallyConsistent)
            return items.map { $0 * 10 }
        }
    }

    /// Starts `count` threads that each submit their index and record the answer; waits for all.
    private func submitConcurrently(
        _ group: GroupCommit<Int, Int>, count: Int, recorder: Recorder, hold: Double = 0.002
    ) -> [Int: Int] {
        let answers = Mutex<[Int: Int]>([:])
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread.detachNewThread {
                let answer = group.submit(index) { recorder.run($0, hold: hold) }
                answers.withLock { $0[index] = answer }
                done.leave()
            }
        }
        done.wait()
        return answers.withLock { $0 }
    }

    /// Submits `item` on a new thread (entered in `done`) whose batch holds until the returned semaphore is
    /// signalled, and hands its answer to `record`; returns once that batch runs.
    private func submitHeld(
        _ group: GroupCommit<Int, Int>, _ item: Int, recorder: Recorder, done: DispatchGroup,
        record: @escaping @Sendable (Int) -> Void
    ) -> DispatchSemaphore {
        let isRunning = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        done.enter()
        Thread.detachNewThread {
            let answer = group.submit(item) { items in
                isRunning.signal()
                release.wait()
                return recorder.run(items)
            }
            record(answer)
            done.leave()
        }
        isRunning.wait()
        return release
    }

    @Test func aLoneSubmitterRunsAtOnceAndAlone() {
        let group = GroupCommit<Int, Int>(batchLimit: 32, inFlightLimit: 2)
        let recorder = Recorder()
        #expect(group.submit(7) { recorder.run($0) } == 70)
        #expect(group.submit(8) { recorder.run($0) } == 80)
        #expect(recorder.batches.withLock { $0 } == [[7], [8]])
    }

    @Test func submissionsThatArriveWhileABatchRunsShareTheNextOne() throws {
        let group = GroupCommit<Int, Int>(batchLimit: 32, inFlightLimit: 1)
        let recorder = Recorder()
        let done = DispatchGroup()
        let firstAnswer = Mutex<Int?>(nil)
        let releaseFirst = submitHeld(group, 100, recorder: recorder, done: done) { answer in
            firstAnswer.withLock { $0 = answer }
        }
        // Five submit while the first batch runs: none may lead (one batch at most), so they queue.
        let answers = Mutex<[Int: Int]>([:])
        for index in 0..<5 {
            done.enter()
            Thread.detachNewThread {
                let answer = group.submit(index) { recorder.run($0) }
                answers.withLock { $0[index] = answer }
                done.leave()
            }
        }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(recorder.batches.withLock { $0 }.isEmpty)
        releaseFirst.signal()
        done.wait()
        #expect(firstAnswer.withLock { $0 } == 1000)
        #expect(answers.withLock { $0 } == [0: 0, 1: 10, 2: 20, 3: 30, 4: 40])
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.first == [100])
        #expect(batches.last.map { Set($0) } == Set(0..<5))
    }

    /// With `companyMinimum` 3, a submission that arrives while a batch runs does not start a lone second one: it
    /// waits for company, and the third queued starts the second batch beside the running one.
    @Test func aSecondBatchStartsBesideARunningOneOnlyWithCompany() {
        let group = GroupCommit<Int, Int>(batchLimit: 32, inFlightLimit: 2, companyMinimum: 3)
        let recorder = Recorder()
        let done = DispatchGroup()
        let answers = Mutex<[Int: Int]>([:])
        let releaseFirst = submitHeld(group, 100, recorder: recorder, done: done) { answer in
            answers.withLock { $0[100] = answer }
        }
        func submit(_ index: Int) {
            done.enter()
            Thread.detachNewThread {
                let answer = group.submit(index) { recorder.run($0) }
                answers.withLock { $0[index] = answer }
                done.leave()
            }
        }
        // Two arrive while the first batch runs: below the minimum, so neither runs (one slot is free).
        submit(0)
        submit(1)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(recorder.batches.withLock { $0 }.isEmpty)
        // The third makes three queued: they run together beside the first batch, which is still running.
        submit(2)
        for _ in 0..<300 where recorder.batches.withLock({ $0 }).isEmpty { Thread.sleep(forTimeInterval: 0.01) }
        #expect(recorder.batches.withLock { $0 }.map { Set($0) } == [Set([0, 1, 2])])
        // One more arrives while the first still runs (the second ended, or is ending): below the minimum again, so
        // it waits for the first to end.
        submit(3)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(recorder.batches.withLock { $0 }.count == 1)
        releaseFirst.signal()
        done.wait()
        #expect(answers.withLock { $0 } == [100: 1000, 0: 0, 1: 10, 2: 20, 3: 30])
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.count == 3)
        #expect(batches.contains([100]) && batches.contains([3]))
    }

    @Test func batchesKeepToTheLimitAndAtMostTwoRunAtOnce() {
        let group = GroupCommit<Int, Int>(batchLimit: 4, inFlightLimit: 2)
        let recorder = Recorder()
        let answers = submitConcurrently(group, count: 64, recorder: recorder)
        #expect(answers.count == 64)
        #expect(answers.allSatisfy { $0.value == $0.key * 10 })
        let batches = recorder.batches.withLock { $0 }
        #expect(batches.allSatisfy { (1...4).contains($0.count) })
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<64))
        #expect(recorder.mostRunning.load(ordering: .sequentiallyConsistent) <= 2)
        // 64 submitters on one group with 2 ms per batch: batches formed (fewer runs than submissions).
        #expect(batches.count < 64)
    }

    /// Many threads submitting back to back, each answer owning heap memory, as the responder's credits do: every
    /// submitter gets exactly its own answer, intact. It exercises the hand-over of answers between threads, which
    /// once raced: a queued submitter read its answer before waiting, while its leader might be writing it, which
    /// crashed the responder under load (bench/README.md, "twentieth session").
    @Test func manyThreadsEachGetTheirOwnAnswer() {
        let group = GroupCommit<Int, [String]>(batchLimit: 8, inFlightLimit: 2, companyMinimum: 2)
        let threads = 24
        let perThread = 400
        @Sendable func answer(_ item: Int) -> [String] {
            ["answer", String(item), String(repeating: "x", count: 16 + item % 48)]
        }
        let wrong = Atomic<Int>(0)
        let batches = Atomic<Int>(0)
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread.detachNewThread {
                for index in 0..<perThread {
                    let item = thread * perThread + index
                    let got = group.submit(item) { items in
                        batches.add(1, ordering: .relaxed)
                        return items.map(answer)
                    }
                    if got != answer(item) { wrong.add(1, ordering: .relaxed) }
                }
                done.leave()
            }
        }
        done.wait()
        #expect(wrong.load(ordering: .relaxed) == 0)
        // Submitters queued behind running batches (fewer runs than submissions), so answers were handed over.
        #expect(batches.load(ordering: .relaxed) < threads * perThread)
    }

    @Test func aRunThatAnswersTooFewLeavesTheRestQueuedForTheNextLeader() {
        let group = GroupCommit<Int, Int>(batchLimit: 8, inFlightLimit: 1)
        let calls = Mutex<[[Int]]>([])
        let answers = Mutex<[Int: Int]>([:])
        let firstIsRunning = DispatchSemaphore(value: 0)
        let releaseFirst = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        // The first batch answers only its first item.
        let run: @Sendable ([Int]) -> [Int] = { items in
            let isFirstOfMany = calls.withLock { calls in
                calls.append(items)
                return calls.count == 2
            }
            return isFirstOfMany ? [items[0] * 10] : items.map { $0 * 10 }
        }
        done.enter()
        Thread.detachNewThread {
            _ = group.submit(-1) { items in
                firstIsRunning.signal()
                releaseFirst.wait()
                return run(items)
            }
            done.leave()
        }
        firstIsRunning.wait()
        for index in 0..<3 {
            done.enter()
            Thread.detachNewThread {
                let answer = group.submit(index, run: run)
                answers.withLock { $0[index] = answer }
                done.leave()
            }
        }
        Thread.sleep(forTimeInterval: 0.3)
        releaseFirst.signal()
        done.wait()
        #expect(answers.withLock { $0 } == [0: 0, 1: 10, 2: 20])
        let seen = calls.withLock { $0 }
        #expect(seen.count == 3)
        #expect(seen.dropFirst().first?.count == 3)
        #expect(seen.last?.count == 2)
    }

    @Test func theOldestQueuedSubmitterLeadsTheNextBatch() {
        let group = GroupCommit<Int, Int>(batchLimit: 32, inFlightLimit: 1)
        let leaders = Mutex<[Int]>([])
        let firstIsRunning = DispatchSemaphore(value: 0)
        let releaseFirst = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            _ = group.submit(-1) { items in
                firstIsRunning.signal()
                releaseFirst.wait()
                return items.map { $0 * 10 }
            }
            done.leave()
        }
        firstIsRunning.wait()
        // Queued one after the other, 200 ms apart, so the queue's order is known; each records itself when its own
        // closure runs a batch, that is, when it leads.
        for index in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                _ = group.submit(index) { items in
                    leaders.withLock { $0.append(index) }
                    return items.map { $0 * 10 }
                }
                done.leave()
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        releaseFirst.signal()
        done.wait()
        #expect(leaders.withLock { $0 } == [0])
    }

    @Test func aLeaderWhoseOwnItemWentUnansweredStillGetsItsAnswer() {
        let group = GroupCommit<Int, Int>(batchLimit: 8, inFlightLimit: 1)
        let calls = Mutex(0)
        // The first call answers nothing at all, its leader's own item included.
        let run: @Sendable ([Int]) -> [Int] = { items in
            let call = calls.withLock { count in
                count += 1
                return count
            }
            return call == 1 ? [] : items.map { $0 * 10 }
        }
        #expect(group.submit(4, run: run) == 40)
        #expect(calls.withLock { $0 } == 2)
    }

    @Test func aSubmitterStepsAsideOnlyWhileItWaits() throws {
        let group = GroupCommit<Int, Int>(batchLimit: 32, inFlightLimit: 1)
        let recorder = Recorder()
        let events = Mutex<[String]>([])
        @Sendable func note(_ event: String) { events.withLock { $0.append(event) } }
        // Alone: it runs at once and never waits, so it never steps aside.
        #expect(group.submit(1, willWait: { note("wait") }) { recorder.run($0) } == 10)
        #expect(events.withLock { $0 } == [])

        let done = DispatchGroup()
        let releaseFirst = submitHeld(group, 100, recorder: recorder, done: done) { _ in }
        done.enter()
        Thread.detachNewThread {
            let answer = group.submit(2, willWait: { note("wait") }) { items in
                note("run \(items)")
                return recorder.run(items)
            }
            note("answer \(answer)")
            done.leave()
        }
        let deadline = Date().addingTimeInterval(10)
        while !events.withLock({ $0.contains("wait") }) && Date() < deadline { usleep(1000) }
        // Queued behind the held batch: it stepped aside before sleeping, and nothing more happens until it wakes.
        usleep(20_000)
        #expect(events.withLock { $0 } == ["wait"])
        releaseFirst.signal()
        done.wait()
        // Appointed to lead the next batch: it runs it (taking back what it needs inside `run`), then answers.
        #expect(events.withLock { $0 } == ["wait", "run [2]", "answer 20"])
    }
}
