import FuzzSupport
import PaymentsCore

/// `JSONValue.parse` on any bytes; whatever parses must serialise to JSON that parses back to the same value and
/// re-serialises to the same text.
enum JSONHarness {
    static func run(_ input: [UInt8]) {
        guard let value = try? JSONValue.parse(input) else { return }
        let text = value.serialized()
        guard let again = try? JSONValue.parse(text) else {
            Fuzz.check(false, "serialised JSON does not parse: \(text.debugDescription)")
            return
        }
        Fuzz.check(again == value, "round trip changed the value: \(text.debugDescription)")
        Fuzz.check(again.serialized() == text, "second serialisation differs: \(text.debugDescription)")
        // The accessors the handlers use on request and webhook bodies.
        _ = value.at("data.object.id")
        _ = value["amount"]?.int64Value
        _ = value.arrayValue?.first?.numberText
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    JSONHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzJSON_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}
