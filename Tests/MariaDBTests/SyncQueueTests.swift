import Dispatch
import Logging
import MariaDB
import PaymentsApp
import PaymentsCore
import PaymentsStore
import Synchronization
import Testing

/// A Retail stand-in that answers 200 to every call, records how many calls each send carried, and holds the first
/// send until `release()`.
private final class GatedRetail: HTTPTransport {
    /// Signalled when the first send has arrived (and waits for `release()`).
    let firstArrived = DispatchSemaphore(value: 0)
    private let gate = DispatchSemaphore(value: 0)
    private let sizes = Mutex<[Int]>([])

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        arrive(carrying: 1)
        return HTTPResponse(status: 200)
    }

    func send(all requests: [HTTPRequest]) -> [Result<HTTPResponse, any Error>] {
        arrive(carrying: requests.count)
        return requests.map { _ in .success(HTTPResponse(status: 200)) }
    }

    func release() { gate.signal() }

    /// The number of calls of each send, in order.
    var sends: [Int] { sizes.withLock { $0 } }

    private func arrive(carrying count: Int) {
        let first = sizes.withLock { list in
            list.append(count)
            return list.count == 1
        }
        if first {
            firstArrived.signal()
            gate.wait()
        }
    }
}

@Suite struct SyncQueueTests {
    let database: TestDatabase
    init() throws { database = try TestDatabase() }

    @Test("a drain thread takes the rows queued behind its round together, and every row is recorded synced")
    func queuedRowsAreInFlightTogether() throws {
        let ledger = database.ledger()
        let store = SyncStore(configuration: database.configuration)
        defer { store.close() }
        let rows = try (1...20).map { number in
            let id = try database.credit(ledger, "pi_q\(number)", uid: "u\(number)")
            return try #require(try store.claim(rowID: id))
        }
        let retail = GatedRetail()
        let client = RetailClient(
            configuration: CoreConfiguration(
                httpTimeoutSeconds: 5, retailAPIURL: "http://127.0.0.1:9/retail", retailAPIKey: Secret("k")),
            transport: retail)
        let queue = SyncQueue(
            configuration: SyncConfiguration(threads: 1), database: database.configuration, client: client,
            logger: Logger(label: "sync-queue-test"))
        queue.start()
        #expect(queue.enqueue(claimed: [rows[0]]).isEmpty)
        retail.firstArrived.wait()
        // The one thread is pushing the first row: the others queue behind it.
        #expect(queue.enqueue(claimed: Array(rows[1...])).isEmpty)
        retail.release()
        queue.shutdown(deadlineSeconds: 20)

        #expect(retail.sends == [1, SyncQueue.pushesInFlight, SyncQueue.pushesInFlight, 3])
        let synced = try database.admin.queryOne(
            "SELECT COUNT(*) FROM tn_payments WHERE is_synced = 1 AND sync_claim_token IS NULL AND payment_id LIKE 'pi_q%'"
        )
        #expect(try synced?.int(0) == 20)
    }
}
