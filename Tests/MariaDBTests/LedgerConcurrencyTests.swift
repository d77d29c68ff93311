import Foundation
import MariaDB
import PaymentsCore
import PaymentsStore
import Synchronization
import Testing

@Suite struct LedgerConcurrencyTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    /// Eight threads, each with its own ledger, deliver the same event at once: exactly one applies it.
    @Test func concurrentDuplicateEventsApplyOnce() throws {
        let threads = 8
        let configuration = database.configuration
        let outcomes = Mutex<[Result<LedgerOutcome, LedgerError>]>([])
        let ready = DispatchGroup()
        let done = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            ready.enter()
            done.enter()
            let thread = Thread {
                MariaDBLibrary.threadInit()
                defer {
                    MariaDBLibrary.threadEnd()
                    done.leave()
                }
                let ledger = MariaDBLedger(configuration: configuration)
                try? ledger.ping()
                ready.leave()
                start.wait()
                let effect = LedgerEffect(
                    event: WebhookEventRecord(
                        gateway: "stripe", eventID: "evt_race", eventType: "payment_intent.succeeded",
                        payload: Array("{}".utf8), headers: [], outcome: "credited"),
                    entries: [LedgerEntry(paymentID: "pi_race", uid: "u", gateway: "stripe", amount: Money(cents: 700))]
                )
                let result: Result<LedgerOutcome, LedgerError>
                do {
                    result = .success(try ledger.apply(effect))
                } catch let error as LedgerError {
                    result = .failure(error)
                } catch {
                    result = .failure(LedgerError(.failed, "\(error)"))
                }
                outcomes.withLock { $0.append(result) }
                ledger.close()
            }
            thread.start()
        }
        ready.wait()
        for _ in 0..<threads { start.signal() }
        #expect(done.wait(timeout: .now() + 60) == .success)

        let results = outcomes.withLock { $0 }
        #expect(results.count == threads)
        let applied = results.compactMap { try? $0.get() }.filter { !$0.duplicateEvent }
        let duplicates = results.compactMap { try? $0.get() }.filter(\.duplicateEvent)
        #expect(applied.count == 1)
        #expect(applied.first?.insertedRowIDs.count == 1)
        #expect(duplicates.count == threads - 1)
        #expect(try database.count("SELECT COUNT(*) FROM tn_payments WHERE payment_id = 'pi_race'") == 1)
        #expect(try database.count("SELECT COUNT(*) FROM webhook_events WHERE event_id = 'evt_race'") == 1)
    }

    /// Concurrent refunds of one payment never exceed it (the payment row lock serialises the cap check).
    @Test func concurrentRefundsRespectTheCap() throws {
        let ledger = database.ledger()
        try database.credit(ledger, "pi_many", cents: 1000)
        let configuration = database.configuration
        let done = DispatchGroup()
        for index in 0..<6 {
            done.enter()
            Thread {
                MariaDBLibrary.threadInit()
                defer {
                    MariaDBLibrary.threadEnd()
                    done.leave()
                }
                let ledger = MariaDBLedger(configuration: configuration)
                _ = try? ledger.apply(
                    LedgerEffect(entries: [
                        LedgerEntry(
                            paymentID: "re_\(index)", uid: "u1", gateway: "stripe", amount: Money(cents: -300),
                            refundOf: "pi_many")
                    ]))
                ledger.close()
            }.start()
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(try ledger.refundedTotal(of: "pi_many") == Money(cents: 900))
        #expect(try database.count("SELECT COUNT(*) FROM operator_items WHERE reason = 'over-refund'") == 3)
    }
}
