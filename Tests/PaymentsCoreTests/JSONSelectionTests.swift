import Testing

@testable import PaymentsCore

/// `JSONValue.parse(_:keeping:)` must accept and refuse exactly what the full parser does, and build exactly the
/// selected part of the full parse.
@Suite struct JSONSelectionTests {
    static let event = Array(
        #"""
        {"id":"evt_1","object":"event","api_version":"2026-06-24","created":1700000000,"data":{"object":{"id":"pi_1",\#
        "object":"payment_intent","amount":1500,"amount_received":1500,"client_secret":"pi_1_secret_x",\#
        "currency":"usd","metadata":{"session_id":"s-1","uid":"u\"1\u00e9","other":[1,{"a":null}]},\#
        "payment_method_types":["card"],"review":null,"status":"succeeded","nested":{"deep":[[1.5e3,-0.25]]}}},\#
        "livemode":false,"request":{"id":null,"idempotency_key":"k\\\/\n"},"type":"payment_intent.succeeded"}
        """#.utf8)

    static let selection = JSONSelection.members([
        "id": .whole, "type": .whole,
        "data": .members([
            "object": .members([
                "id": .whole, "amount": .whole, "metadata": .members(["uid": .whole]), "review": .whole,
            ])
        ]),
    ])

    @Test func buildsOnlyTheSelectedMembers() throws {
        let pruned = try JSONValue.parse(Self.event, keeping: Self.selection)
        #expect(
            pruned.serialized()
                == #"{"id":"evt_1","data":{"object":{"id":"pi_1","amount":1500,"metadata":{"uid":"u\"1é"},"review":null}},"type":"payment_intent.succeeded"}"#
        )
        #expect(pruned == Self.selection.pruning(try JSONValue.parse(Self.event)))
        #expect(try JSONValue.parse(Self.event, keeping: .whole) == JSONValue.parse(Self.event))
    }

    @Test func keepsRepeatedKeysInOrderAndAppliesToArrayItems() throws {
        let text = Array(#"[{"a":1,"b":2,"a":3},{"b":4},5]"#.utf8)
        let pruned = try JSONValue.parse(text, keeping: .members(["a": .whole]))
        #expect(pruned.serialized() == #"[{"a":1,"a":3},{},5]"#)
        #expect(pruned["a"] == nil)
    }

    /// Every prefix of the event and every single-byte change at many places: the pruned parse fails exactly when
    /// the full one does, and otherwise equals its pruning.
    @Test func agreesWithTheFullParserOnMutatedInput() {
        var inputs: [[UInt8]] = (0..<Self.event.count).map { Array(Self.event[..<$0]) }
        let replacements = Array(#"{}[]":,\ 0-.eE"#.utf8) + [0x01, 0x7F, 0xC3, 0xFF]
        for position in stride(from: 0, to: Self.event.count, by: 3) {
            for byte in replacements {
                var changed = Self.event
                changed[position] = byte
                inputs.append(changed)
            }
        }
        var failures = 0
        var refused = 0
        for input in inputs {
            let full = try? JSONValue.parse(input)
            let pruned = try? JSONValue.parse(input, keeping: Self.selection)
            if full == nil { refused += 1 }
            if full.map(Self.selection.pruning) != pruned { failures += 1 }
        }
        #expect(failures == 0)
        // The mutations must exercise both sides.
        #expect(refused > 100 && refused < inputs.count)
    }

    /// Keys are matched by their bytes when plain ASCII and as decoded text otherwise: an escaped key (`"\u0069d"`)
    /// still selects its member, a non-ASCII one never matches an ASCII name.
    static let escapedKeys = Array(
        #"""
        {"\u0069d":"evt_2","typ\u0065":"x","data":{"object":{"amount":1,"am\u006funt":2,"métadata":{},\#
        "metadata":{"uid":"a","u\u0069d":"b","uid\u0000":"c"}},"other":{"id":1}},"ïd":0,"i":1,"idx":2}
        """#.utf8)

    @Test func matchesEscapedKeysAsTheirText() throws {
        let pruned = try JSONValue.parse(Self.escapedKeys, keeping: Self.selection)
        #expect(
            pruned.serialized()
                == #"{"id":"evt_2","type":"x","data":{"object":{"amount":1,"amount":2,"metadata":{"uid":"a","uid":"b"}}}}"#
        )
        #expect(pruned == Self.selection.pruning(try JSONValue.parse(Self.escapedKeys)))
        var failures = 0
        for position in Self.escapedKeys.indices {
            for byte in Array(#"\"u0:{}ai"#.utf8) + [0xC3] {
                var changed = Self.escapedKeys
                changed[position] = byte
                let full = try? JSONValue.parse(changed)
                if full.map(Self.selection.pruning) != (try? JSONValue.parse(changed, keeping: Self.selection)) {
                    failures += 1
                }
            }
        }
        #expect(failures == 0)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\":}", "01", "1.", "tru", "\"\\x\"", "{} x", "\"\u{01}\"", "\"\\ud800\""])
    func rejectsMalformedJSONLikeTheFullParser(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8), keeping: .members([:])) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8), keeping: Self.selection) }
    }

    /// A member is found by its bytes exactly as by its text, first match first: names that are prefixes of one
    /// another, repeated, empty, or not ASCII.
    @Test func findsMembersAsALinearSearchByName() {
        let selection = JSONSelection.members([
            "id": .whole, "idx": .members([:]), "": .whole, "i": .members(["a": .whole]), "id": .members([:]),
            "métadata": .whole, "amount_received": .whole, "amount": .members(["x": .whole]),
        ])
        let names = ["id", "idx", "", "i", "métadata", "amount_received", "amount", "amoun", "amountx", "d", "ID"]
        for name in names {
            let byText = selection.member(name)
            let byBytes = selection.member(ascii: ArraySlice(Array(name.utf8)))
            #expect(byBytes?.0 == (byText == nil ? nil : name), "\(name)")
            #expect(byBytes.map { Self.describe($0.1) } == byText.map(Self.describe), "\(name)")
        }
        #expect(selection.member("id").map(Self.describe) == "whole")
        #expect(selection.member("idx").map(Self.describe) == "members")
        #expect(JSONSelection.whole.member(ascii: ArraySlice(Array("id".utf8))) == nil)
    }

    private static func describe(_ selection: JSONSelection) -> String {
        if case .whole = selection { return "whole" }
        return "members"
    }
}
