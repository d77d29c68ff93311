import PaymentsCore

/// The emulated Cryptomus merchant's state, guarded by the emulator's lock.
struct CryptomusStore: Sendable {
    var invoices: [String: CryptomusInvoiceRecord] = [:]
    var uuidByOrder: [String: String] = [:]
    /// Invoices whose `/v1/payment/info` answers another status (the "re-read disagrees" case).
    var infoOverrides: [String: (status: String, isFinal: Bool)] = [:]
    var events: [CryptomusEventRecord] = []
    /// Events created since the last flush, to hand to the sender outside the lock.
    var outbox: [CryptomusEventRecord] = []
    /// The second of the last expiry sweep: the sweep walks every invoice, so it runs at most once a second.
    var lastExpirySweep: Int64 = 0

    /// An invoice by `uuid`, else by `order_id` (uuid wins when both are given, as the API does).
    func find(uuid: String?, orderID: String?) -> CryptomusInvoiceRecord? {
        if let uuid, !uuid.isEmpty { return invoices[uuid] }
        if let orderID, let uuid = uuidByOrder[orderID] { return invoices[uuid] }
        return nil
    }

    /// Moves unpaid invoices past their lifetime to `cancel` (final), emitting the webhook Cryptomus sends.
    mutating func expireDue(now: Int64, sign: (CryptomusInvoiceRecord) -> CryptomusEventRecord) {
        guard now != lastExpirySweep else { return }
        lastExpirySweep = now
        for (uuid, invoice) in invoices
        where CryptomusInvoiceRecord.waitingStatuses.contains(invoice.status) && invoice.expiresAt <= now {
            var expired = invoice
            expired.status = "cancel"
            expired.isFinal = true
            expired.updatedAt = now
            invoices[uuid] = expired
            record(sign(expired))
        }
    }

    mutating func record(_ event: CryptomusEventRecord) {
        events.append(event)
        if event.deliveryStatus == "pending" { outbox.append(event) }
    }

    mutating func takeOutbox() -> [CryptomusEventRecord] {
        defer { outbox.removeAll() }
        return outbox
    }

    mutating func recordDelivery(eventID: String, status: String, httpStatus: Int?, error: String?) {
        guard let index = events.firstIndex(where: { $0.id == eventID }) else { return }
        events[index].deliveryStatus = status
        events[index].attempts += 1
        events[index].lastHTTPStatus = httpStatus
        events[index].lastError = error
    }
}
