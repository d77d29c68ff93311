import Foundation
import PaymentsCore
import Signing
import Synchronization

/// A scripted Cryptomus merchant API for gateway unit tests: invoices by uuid and order_id, signed-request checks,
/// a switchable "disagreeing" info answer and injected failures.
final class FakeCryptomus: Sendable {
    static let merchant = "merchant-unit"
    static let key = "payment_key_unit"
    static let base = "https://cryptomus.test"

    struct State {
        var invoices: [String: JSONValue] = [:]
        var byOrder: [String: String] = [:]
        /// When set, `/v1/payment/info` answers this object instead of the invoice.
        var infoOverride: [String: JSONValue] = [:]
        var failNext: [String: Int] = [:]
        var orderOverride: String?
        var counter = 0
        var badSignatures = 0
    }

    let state = Mutex(State())

    func makeTransport() -> FakeTransport {
        FakeTransport { request in self.answer(request) }
    }

    func invoice(_ uuid: String) -> JSONValue { state.withLock { $0.invoices[uuid] ?? .null } }

    /// Moves an invoice to `status` (final unless it is a waiting state), with what the payer sent in USD.
    func set(_ uuid: String, status: String, paidUSD: String? = nil, isFinal: Bool? = nil) {
        let final =
            isFinal ?? !["check", "confirm_check", "process", "wrong_amount_waiting", "refund_process", "locked"]
            .contains(status)
        state.withLock { s in
            guard var invoice = s.invoices[uuid] else { return }
            invoice = invoice.setting("status", .string(status)).setting("payment_status", .string(status))
                .setting("is_final", .bool(final))
            if let paidUSD { invoice = invoice.setting("payment_amount_usd", .string(paidUSD)) }
            s.invoices[uuid] = invoice
        }
    }

    func answer(_ request: HTTPRequest) -> HTTPResponse {
        let expected = Hex.encode(Digest.md5(Array((Base64.encode(request.body) + FakeCryptomus.key).utf8)))
        guard request.header("merchant") == FakeCryptomus.merchant, request.header("sign") == expected else {
            state.withLock { $0.badSignatures += 1 }
            return FakeTransport.json(401, #"{"state":1,"message":"Invalid Sign."}"#)
        }
        let path = String(request.url.dropFirst(FakeCryptomus.base.count))
        guard let body = try? JSONValue.parse(request.body) else {
            return FakeTransport.json(422, #"{"state":1,"message":"bad json"}"#)
        }
        return state.withLock { s in
            if let remaining = s.failNext[path], remaining > 0 {
                s.failNext[path] = remaining - 1
                return FakeTransport.json(500, #"{"state":1,"message":"Server error"}"#)
            }
            switch path {
            case "/v1/payment":
                guard let order = body["order_id"]?.stringValue, let amount = body["amount"]?.stringValue else {
                    return FakeTransport.json(422, #"{"state":1,"errors":{"order_id":["validation.required"]}}"#)
                }
                if let uuid = s.byOrder[order], let existing = s.invoices[uuid] { return FakeCryptomus.ok(existing) }
                s.counter += 1
                let uuid = "00000000-0000-4000-a000-\(String(s.counter).leftPadded(12))"
                let invoice = JSONValue.object([
                    ("uuid", .string(uuid)), ("order_id", .string(s.orderOverride ?? order)),
                    ("amount", .string(amount)),
                    ("currency", body["currency"] ?? .null), ("payment_amount_usd", .null),
                    ("payment_status", .string("check")),
                    ("url", .string("https://pay.cryptomus.test/pay/\(uuid)")), ("status", .string("check")),
                    ("is_final", .bool(false)),
                ])
                s.invoices[uuid] = invoice
                s.byOrder[order] = uuid
                return FakeCryptomus.ok(invoice)
            case "/v1/payment/info":
                let uuid = body["uuid"]?.stringValue ?? body["order_id"]?.stringValue.flatMap { s.byOrder[$0] }
                guard let uuid, let invoice = s.invoices[uuid] else {
                    return FakeTransport.json(404, #"{"state":1,"message":"Payment was not found"}"#)
                }
                return FakeCryptomus.ok(s.infoOverride[uuid] ?? invoice)
            default:
                return FakeTransport.json(404, #"{"state":1,"message":"Not found"}"#)
            }
        }
    }

    static func ok(_ result: JSONValue) -> HTTPResponse {
        FakeTransport.json(200, JSONValue.object([("state", .int(0)), ("result", result)]).serialized())
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
