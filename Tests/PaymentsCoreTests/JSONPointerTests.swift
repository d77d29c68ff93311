import PaymentsCore
import Testing

/// RFC 6901 parsing and evaluation, against the examples of RFC 6901 §5.
@Suite struct JSONPointerTests {
    static let rfcDocument = #"""
        {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8}
        """#

    @Test(arguments: [
        ("/foo/0", #""bar""#), ("/", "0"), ("/a~1b", "1"), ("/c%d", "2"), ("/e^f", "3"), ("/g|h", "4"),
        (#"/i\j"#, "5"), (#"/k"l"#, "6"), ("/ ", "7"), ("/m~0n", "8"), ("/foo", #"["bar","baz"]"#),
    ])
    func rfcExamples(pointer: String, expected: String) throws {
        let document = try JSONValue.parse(JSONPointerTests.rfcDocument)
        let value = try #require(try JSONPointer(pointer).resolve(in: document))
        #expect(value.serialized() == expected)
    }

    @Test func emptyPointerIsTheWholeDocument() throws {
        let document = try JSONValue.parse(#"{"a":1}"#)
        #expect(try JSONPointer("").resolve(in: document) == document)
        #expect(try JSONPointer("").tokens.isEmpty)
    }

    @Test func unescapesTildeOneBeforeTildeZero() throws {
        // `~01` is the key `~1`, not `/`.
        #expect(try JSONPointer("/~01").tokens == ["~1"])
        #expect(try JSONPointer("/a~1b/~0").tokens == ["a/b", "~"])
        #expect(try JSONPointer("/a~1b/~0/~01").description == "/a~1b/~0/~01")
    }

    @Test(arguments: ["data", "~", "/a~", "/a~2", "/~x", "#/data"])
    func refusesMalformedText(text: String) {
        #expect(throws: JSONPointer.ParseError.self) { try JSONPointer(text) }
    }

    @Test(arguments: ["/foo/2", "/foo/-", "/foo/01", "/foo/+1", "/foo/0/x", "/missing", "/foo/99999999999"])
    func missingStepsResolveToNil(pointer: String) throws {
        let document = try JSONValue.parse(JSONPointerTests.rfcDocument)
        #expect(try JSONPointer(pointer).resolve(in: document) == nil)
    }

    @Test func settingCreatesObjectsAndKeepsOtherMembers() throws {
        let start = try JSONValue.parse(#"{"id":"e1","data":{"keep":true}}"#)
        let first = try #require(try JSONPointer("/data/amount").setting(.int(1000), in: start))
        let second = try #require(try JSONPointer("/data/meta/a~1b").setting(.string("x"), in: first))
        #expect(second.serialized() == #"{"id":"e1","data":{"keep":true,"amount":1000,"meta":{"a/b":"x"}}}"#)
        let list = try JSONValue.parse(#"{"items":[{"id":1}]}"#)
        let replaced = try #require(try JSONPointer("/items/0/id").setting(.int(2), in: list))
        let appended = try #require(try JSONPointer("/items/-").setting(.int(3), in: replaced))
        #expect(appended.serialized() == #"{"items":[{"id":2},3]}"#)
        #expect(try JSONPointer("/items/5").setting(.int(1), in: list) == nil)
        #expect(try JSONPointer("/id/x").setting(.int(1), in: start) == nil)
        #expect(try JSONPointer("").setting(.int(1), in: start) == nil)
    }

    @Test func configReaderNamesTheVariable() throws {
        let reader = ConfigReader(["GOOD": "/a/b", "BAD": "a/b", "EMPTY": ""])
        #expect(try reader.pointer("GOOD", default: "/x").tokens == ["a", "b"])
        #expect(try reader.pointer("EMPTY", default: "/x").tokens == ["x"])
        #expect(try reader.pointer("UNSET", default: "/x").tokens == ["x"])
        do {
            _ = try reader.pointer("BAD", default: "/x")
            Issue.record("accepted a pointer without a leading slash")
        } catch {
            #expect(error.variable == "BAD")
        }
    }
}
