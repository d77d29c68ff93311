import FastCGI
import FuzzSupport
import PaymentsApp
import PaymentsCore

/// A request as `payments-fcgi` decodes it: libfcgi's parameter entries (`NAME=VALUE`, NUL-separated as in its
/// `envp`), then an empty entry and the body; decoded like `WorkerPool.serve` does, then the body like the client
/// routes read it (`RequestContext.jsonBody` and `PaymentInput`).
enum FastCGIRequestHarness {
    static func run(_ input: [UInt8]) {
        let (head, rest) = split(input)
        let parameters = head.split(separator: 0).map { entry in
            Array(entry).withUnsafeBytes { FastCGIRequest.parameter(entry: $0) }
        }
        let length = APIRequestDecoder.contentLength(parameters)
        Fuzz.check(length >= 0, "negative content length \(length)")
        // `readBody(length:)` fails unless exactly `length` bytes arrive.
        let body = length <= rest.count ? Array(rest.prefix(length)) : []
        let request = APIRequestDecoder.makeRequest(parameters: parameters, body: body)
        Fuzz.check(request.method == request.method.uppercased(), "method not upper-cased: \(request.method)")
        for name in request.headers.keys {
            Fuzz.check(
                !name.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_") },
                "header name not folded: \(name.debugDescription)")
        }
        _ = request.header("Stripe-Signature")
        let path = Fuzz.text(rest)
        let decodedPath = APIRequestDecoder.percentDecode(path)
        let expectedPath = ReferencePercentDecoding.decode(path, plusAsSpace: false)
        Fuzz.check(
            decodedPath == expectedPath,
            "percentDecode(\(path.debugDescription)) is \(decodedPath.debugDescription), not \(expectedPath.debugDescription)"
        )
        guard let json = try? JSONValue.parse(request.body), case .object = json else { return }
        if let amount = try? PaymentInput.amount(json, range: 500...100_000) {
            Fuzz.check((500...100_000).contains(amount.cents), "amount outside its range: \(amount.cents)")
        }
        _ = try? PaymentInput.platform(json)
        _ = try? PaymentInput.optionalString(json, "recaptcha_token")
        _ = try? PaymentInput.string(json, "orderID")
    }

    /// The parameter entries and the body: the body starts after the first two NULs in a row.
    private static func split(_ input: [UInt8]) -> (head: ArraySlice<UInt8>, body: ArraySlice<UInt8>) {
        var index = input.startIndex
        while index + 1 < input.endIndex {
            if input[index] == 0, input[index + 1] == 0 { return (input[..<index], input[(index + 2)...]) }
            index += 1
        }
        return (input[...], [])
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FastCGIRequestHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzFastCGIRequest_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}
