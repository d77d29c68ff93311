import Foundation
import PaymentsCore
import Signing

/// One order the emulated Payeer merchant page accepted.
struct PayeerSandboxOrder: Sendable {
    let orderID: String
    /// `m_amount`, `m_curr` and `m_desc` exactly as posted.
    let amount: String
    let currency: String
    let description: String
    /// `m_params` as posted (URL-encoded base64), signed back in every notification.
    let params: String?
    /// From the decrypted `m_params`.
    let successURL: String?
    let failURL: String?
    /// `pending` until a `pay` control call sets the notified status.
    var status = "pending"

    var json: JSONValue {
        .object([
            ("m_orderid", .string(orderID)), ("m_amount", .string(amount)), ("m_curr", .string(currency)),
            ("m_desc", .string(description)),
            ("description", .string(String(decoding: Base64.decode(description) ?? [], as: UTF8.self))),
            ("m_params", .optional(params)), ("success_url", .optional(successURL)), ("fail_url", .optional(failURL)),
            ("status", .string(status)),
        ])
    }
}

/// One Payeer operation (a payment attempt on an order), from which notifications are built and rebuilt.
struct PayeerSandboxOperation: Sendable {
    let operationID: String
    let orderID: String
    let status: String
    /// What the notification reports paid: the order's amount and currency unless a control call overrides them.
    let amount: String
    let currency: String
    /// `dd.mm.yyyy hh:mm:ss`, Moscow time, as Payeer prints dates.
    let date: String
}

/// The emulated Payeer merchant's state, guarded by the emulator's lock.
struct PayeerStore: Sendable {
    var orders: [String: PayeerSandboxOrder] = [:]
    var operations: [String: PayeerSandboxOperation] = [:]
    var notifications: [FormNotification] = []
    /// Payeer's operation ids are large integers; the sandbox counts up from a random start.
    var nextOperationID = Int64.random(in: 1_000_000_000...9_000_000_000)

    mutating func newOperationID() -> String {
        defer { nextOperationID += 1 }
        return String(nextOperationID)
    }

    /// Payeer's date format, in Moscow time (UTC+3, no daylight saving since 2014).
    static func payeerDate(_ unixSeconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 3 * 3600)
        formatter.dateFormat = "dd.MM.yyyy HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }
}
