import PaymentsCore
import Testing

/// The event message body is written straight into bytes; it must equal the `JSONValue` object it replaced.
@Suite struct SessionEventMessageTests {
    @Test func writesTheBodyAsTheJSONValueObject() {
        let ids = ["3f2b8c1e-0000-4000-8000-000000000001", "", "q\"uote\\back\u{01}\n\té\u{1F600}", "/slash"]
        let payments: [String?] = [nil, "pi_3Nabc", "", "x\"\u{1F}"]
        let amounts: [Int64] = [0, 1, 1500, -250, Int64.max, Int64.min]
        let times: [Int64] = [0, 1_764_900_000, -1, Int64.max]
        var compared = 0
        for id in ids {
            for status in SessionStatus.allCases {
                for paymentID in payments {
                    for (amount, at) in zip(amounts, times + times.prefix(2)) {
                        let message = SessionEventMessage(
                            sessionID: id, status: status, amount: Money(cents: amount), paymentID: paymentID, at: at)
                        #expect(message.body == Self.previousBody(message))
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 4 * SessionStatus.allCases.count * 4 * 6)
    }

    /// The body as it was built before: a `JSONValue` object, serialized.
    private static func previousBody(_ message: SessionEventMessage) -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("session_id", .string(message.sessionID)), ("status", .string(message.status.rawValue)),
            ("amount", .int(message.amount.cents)),
        ]
        if let paymentID = message.paymentID { members.append(("payment_id", .string(paymentID))) }
        members.append(("at", .int(message.at)))
        return JSONValue.object(members).serializedBytes()
    }
}
