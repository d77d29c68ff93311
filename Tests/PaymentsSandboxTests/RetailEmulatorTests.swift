import PaymentsCore
import Testing

@testable import PaymentsSandbox

@Suite("Retail API emulator")
struct RetailEmulatorTests {
    let retail = RetailEmulator(apiKey: "key")

    func post(_ path: String, _ body: String, key: String = "key") -> SandboxResponse {
        retail.handle(makeRequest("POST", "/api/v1/retail" + path, headers: [("X-Api-Key", key)], body: body))
    }

    func balance(_ id: String) throws -> Int64? {
        let response = retail.handle(
            makeRequest("GET", "/api/v1/retail/a/customer/\(id)/balance", headers: [("X-Api-Key", "key")]))
        guard response.status == 200 else { return nil }
        return try json(response)["total"]?.int64Value
    }

    @Test("a transaction needs a customer, applies once and refuses its id again with 409")
    func deduplicates() throws {
        #expect(post("/m/customer/u1/transaction", #"{"transaction_id":"t1","amount":500}"#).status == 404)
        #expect(post("/m/customer", #"{"customer_id":"u1"}"#).status == 200)
        #expect(post("/m/customer", #"{"customer_id":"u1"}"#).status == 409)
        #expect(post("/m/customer/u1/transaction", #"{"transaction_id":"t1","amount":500}"#).status == 200)
        let duplicate = post("/m/customer/u1/transaction", #"{"transaction_id":"t1","amount":500}"#)
        #expect(duplicate.status == 409)
        #expect(try json(duplicate)["errorName"]?.stringValue == "TransactionAlreadyExistsException")
        #expect(post("/m/customer/u1/transaction", #"{"transaction_id":"t2","amount":-200}"#).status == 200)
        #expect(try balance("u1") == 300)
        let transactions = try json(retail.transactions(customerID: "u1"))
        let first = try #require(transactions["transactions"]?.arrayValue?.first)
        #expect(first["applied_count"]?.int64Value == 1)
        #expect(first["received_count"]?.int64Value == 2)
    }

    @Test("a wrong API key is 401 UnauthorizedException")
    func unauthorized() throws {
        let response = post("/m/customer", #"{"customer_id":"u1"}"#, key: "nope")
        #expect(response.status == 401)
        #expect(try json(response)["errorName"]?.stringValue == "UnauthorizedException")
    }

    @Test("lose-answer applies the transaction but answers 500; flap alternates 500 and success")
    func failureModes() throws {
        _ = post("/m/customer", #"{"customer_id":"u2"}"#)
        _ = retail.setMode(.object([("mode", .string("lose-answer"))]))
        #expect(post("/m/customer/u2/transaction", #"{"transaction_id":"x1","amount":100}"#).status == 500)
        _ = retail.setMode(.object([("mode", .string("flap"))]))
        #expect(post("/m/customer/u2/transaction", #"{"transaction_id":"x2","amount":100}"#).status == 500)
        #expect(post("/m/customer/u2/transaction", #"{"transaction_id":"x2","amount":100}"#).status == 200)
        _ = retail.setMode(.object([("mode", .string("down"))]))
        #expect(post("/m/customer/u2/transaction", #"{"transaction_id":"x3","amount":100}"#).dropConnection)
        _ = retail.setMode(.object([("mode", .string("ok"))]))
        #expect(try balance("u2") == 200)
        #expect(retail.setMode(.object([("mode", .string("bogus"))])).status == 400)
    }

    @Test("reject refuses one transaction id with its status (counting hits) until cleared with status 0")
    func rejectSwitch() throws {
        _ = post("/m/customer", #"{"customer_id":"u3"}"#)
        #expect(retail.setRejection(.object([("transaction_id", .string("r1")), ("status", .int(422))])).status == 200)
        let refused = post("/m/customer/u3/transaction", #"{"transaction_id":"r1","amount":100}"#)
        #expect(refused.status == 422)
        #expect(try json(refused)["errorName"]?.stringValue == "ValidationException")
        #expect(post("/m/customer/u3/transaction", #"{"transaction_id":"r2","amount":100}"#).status == 200)
        let listed = try json(retail.rejections())["rejections"]?.arrayValue?.first
        #expect(listed?["transaction_id"]?.stringValue == "r1")
        #expect(listed?["status"]?.int64Value == 422)
        #expect(listed?["hits"]?.int64Value == 1)
        #expect(retail.setRejection(.object([("transaction_id", .string("r1")), ("status", .int(0))])).status == 200)
        #expect(post("/m/customer/u3/transaction", #"{"transaction_id":"r1","amount":100}"#).status == 200)
        #expect(try balance("u3") == 200)
        #expect(try json(retail.rejections())["rejections"]?.arrayValue?.isEmpty == true)
        #expect(retail.setRejection(.object([("transaction_id", .string("r1")), ("status", .int(302))])).status == 400)
    }
}
