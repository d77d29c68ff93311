import Foundation
import PaymentsCore
import Synchronization

extension LedgerContract {
    static func failedApplyLeavesNothing(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        for kind in [LedgerError.Kind.unavailable, .failed] {
            let tag = "\(kind)"
            let session = try ledger.createSession(
                gateway: "stripe", uid: "u1", amount: Money(cents: 700), currency: "USD")
            try book(ledger, credit("pi_base_\(tag)", cents: 1000))
            let before = try subject.counts()
            let itemsBefore = try subject.operatorItems().count
            // Event, credit, refund, session update and operator item: the failure comes after the first writes.
            let effect = LedgerEffect(
                event: event("evt_fault_\(tag)"),
                entries: [
                    credit("pi_fault_\(tag)", cents: 700, session: session.id),
                    adjustment("re_fault_\(tag)", of: "pi_base_\(tag)", cents: -200),
                ],
                sessionUpdates: [(session.id, .paid)],
                operatorItems: [OperatorItem(gateway: "stripe", reference: "pi_fault_\(tag)", reason: "fault-check")])
            try subject.failNextApply(kind)
            try expectLedgerError(kind, "apply with an injected \(tag) failure") { try ledger.apply(effect) }

            try expectCounts(subject, rows: before.rows, events: before.events, "\(tag): after the failure")
            try expectEqual(try subject.operatorItems().count, itemsBefore, "\(tag): operator items after the failure")
            try expect(
                try !ledger.eventExists(gateway: "stripe", eventID: "evt_fault_\(tag)"), "\(tag): event was kept")
            try expectEqual(try ledger.entry(paymentID: "pi_fault_\(tag)"), nil, "\(tag): credit was kept")
            try expectEqual(try ledger.entry(paymentID: "re_fault_\(tag)"), nil, "\(tag): refund was kept")
            try expectEqual(try ledger.session(publicID: session.publicID)?.status, .creating, "\(tag): session")

            // The gateway's retry finds nothing done and applies the whole effect, once.
            let retried = try ledger.apply(effect)
            try expectEqual(retried.insertedRows.count, 2, "\(tag): rows of the retry")
            try expectEqual(try ledger.session(publicID: session.publicID)?.status, .paid, "\(tag): session")
            try expectEqual(try items(subject, reference: "pi_fault_\(tag)"), ["fault-check"], "\(tag): items")
            try expectEqual(try ledger.apply(effect), LedgerOutcome(duplicateEvent: true), "\(tag): a second retry")
        }
    }

    static func concurrentDuplicates(_ subject: any LedgerContractSubject) throws {
        let threads = 8
        let results = try onThreads(subject, count: threads) { ledger, _ in
            try ledger.apply(LedgerEffect(event: event("evt_race"), entries: [credit("pi_race", cents: 700)]))
        }
        let outcomes = try results.map { result in try result.get() }
        let applied = outcomes.filter { !$0.duplicateEvent }
        try expectEqual(applied.count, 1, "deliveries that applied")
        try expectEqual(applied.first?.insertedRows.count, 1, "rows the first delivery inserted")
        try expectEqual(outcomes.filter(\.duplicateEvent).count, threads - 1, "deliveries found duplicate")
        try expectCounts(subject, rows: 1, events: 1, "rows and events")
    }

    static func concurrentRefunds(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        try book(ledger, credit("pi_many", cents: 1000))
        let results = try onThreads(subject, count: 6) { ledger, index in
            try ledger.apply(LedgerEffect(entries: [adjustment("re_\(index)", of: "pi_many", cents: -300)]))
        }
        let outcomes = try results.map { result in try result.get() }
        try expectEqual(outcomes.filter { $0.insertedRows.count == 1 }.count, 3, "refunds booked")
        try expectEqual(outcomes.filter { $0.overRefunds.count == 1 }.count, 3, "refunds refused")
        try expectEqual(try ledger.refundedTotal(of: "pi_many"), Money(cents: 900), "refunded total")
        try expectEqual(
            try subject.operatorItems().map(\.reason), Array(repeating: "over-refund", count: 3), "operator items")
    }

    static func secondPayments(_ subject: any LedgerContractSubject) throws {
        let ledger = try subject.makeLedger()
        let session = try ledger.createSession(
            gateway: "payeer", uid: "u1", amount: Money(cents: 1000), currency: "USD")
        let first = try ledger.apply(
            LedgerEffect(entries: [credit("payeer-1", gateway: "payeer", session: session.id)]))
        try expectEqual(first.insertedRows.count, 1, "the first payment")
        let again = try ledger.apply(
            LedgerEffect(entries: [credit("payeer-1", gateway: "payeer", session: session.id)]))
        try expectEqual(again.alreadyPresent, ["payeer-1"], "the same payment again")
        let second = try ledger.apply(
            LedgerEffect(entries: [credit("payeer-2", gateway: "payeer", session: session.id)]))
        try expect(second.insertedRows.isEmpty, "a second payment was credited")
        try expectEqual(second.secondPayments, ["payeer-2"], "second payments")
        try expectEqual(try items(subject, reference: "payeer-2"), ["second-payment"], "operator item")
        // Different payments of one session at the same moment: one is credited, the others go to an operator.
        let racing = try ledger.createSession(gateway: "payeer", uid: "u1", amount: Money(cents: 700), currency: "USD")
        let results = try onThreads(subject, count: 5) { ledger, index in
            try ledger.apply(
                LedgerEffect(entries: [credit("payeer-r\(index)", cents: 700, gateway: "payeer", session: racing.id)]))
        }
        let outcomes = try results.map { result in try result.get() }
        try expectEqual(outcomes.filter { $0.insertedRows.count == 1 }.count, 1, "racing payments credited")
        try expectEqual(outcomes.filter { $0.secondPayments.count == 1 }.count, 4, "racing payments refused")
    }

    /// Runs `body` on `count` threads at once, each with a ledger of its own, and gives each thread's result.
    static func onThreads(
        _ subject: any LedgerContractSubject, count: Int,
        _ body: @escaping @Sendable (any Ledger, Int) throws -> LedgerOutcome
    ) throws -> [Result<LedgerOutcome, any Error>] {
        let results = Mutex<[Int: Result<LedgerOutcome, any Error>]>([:])
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for index in 0..<count {
            ready.enter()
            done.enter()
            let thread = Thread {
                subject.threadStarted()
                defer {
                    subject.threadEnded()
                    done.leave()
                }
                let result: Result<LedgerOutcome, any Error>
                var waiting = true
                do {
                    let ledger = try subject.makeLedger()
                    // Connect before the start signal, so the threads race on the effect, not on connecting.
                    try ledger.ping()
                    waiting = false
                    ready.leave()
                    start.wait()
                    result = .success(try body(ledger, index))
                } catch {
                    if waiting { ready.leave() }
                    result = .failure(error)
                }
                results.withLock { $0[index] = result }
            }
            thread.start()
        }
        _ = ready.wait(timeout: .now() + 30)
        for _ in 0..<count { start.signal() }
        guard done.wait(timeout: .now() + 60) == .success else {
            throw LedgerContractViolation("\(count) threads did not finish within 60 s")
        }
        let table = results.withLock { $0 }
        return (0..<count).map { table[$0] ?? .failure(LedgerContractViolation("thread \($0) gave no result")) }
    }
}
