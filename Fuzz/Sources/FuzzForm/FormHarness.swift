import FuzzSupport
import PaymentsCore

/// `application/x-www-form-urlencoded` and query strings: `FormEncoding.parse`/`decode` and `APIRequest.parseQuery`
/// on any text; what is parsed must survive `encode` → `parse`, `escape` → `decode` must be the identity, and the
/// query must hold the first value of every key. `decode` must agree with a plain reference decoder.
enum FormHarness {
    static func run(_ input: [UInt8]) {
        let text = Fuzz.text(input)
        let decoded = FormEncoding.decode(text)
        let expected = ReferencePercentDecoding.decode(text, plusAsSpace: true)
        Fuzz.check(
            decoded == expected,
            "decode(\(text.debugDescription)) is \(decoded.debugDescription), not \(expected.debugDescription)")
        let pairs = FormEncoding.parse(text)
        let encoded = FormEncoding.encode(pairs)
        let again = FormEncoding.parse(encoded)
        Fuzz.check(
            again.count == pairs.count && zip(again, pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
            "encode → parse changed the pairs of \(text.debugDescription)")
        Fuzz.check(FormEncoding.encode(again) == encoded, "second encoding differs for \(text.debugDescription)")
        for piece in [text] + pairs.flatMap({ [$0.0, $0.1] }) {
            let escaped = FormEncoding.escape(piece)
            Fuzz.check(
                escaped.utf8.allSatisfy(isEscapedByte), "escape left a reserved byte in \(escaped.debugDescription)")
            Fuzz.check(FormEncoding.decode(escaped) == piece, "decode(escape(s)) != s for \(piece.debugDescription)")
        }
        let query = APIRequest.parseQuery(text)
        Fuzz.check(query.count <= pairs.count, "more query keys than pairs in \(text.debugDescription)")
        for (key, value) in pairs where query[key] == nil {
            Fuzz.check(false, "query lost key \(key.debugDescription) (value \(value.debugDescription))")
        }
        if let (key, value) = pairs.first {
            Fuzz.check(query[key] == value, "the first value of \(key.debugDescription) did not win")
        }
    }

    private static func isEscapedByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FormHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzForm_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}
