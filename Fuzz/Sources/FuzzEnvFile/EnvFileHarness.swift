import FuzzSupport
import Gateways
import PaymentsApp
import PaymentsCore
import PaymentsStore

/// The environment file (`EnvironmentFile.parse`) and every typed reader of its values (`ConfigReader` and the
/// component configurations that read them at start-up). Keys must be `[letters digits _]` and no value may span lines. PayPal's is left out: it opens the file its
/// `PAYPAL_TRUST_ROOTS` names.
enum EnvFileHarness {
    static func run(_ input: [UInt8]) {
        let text = Fuzz.text(input)
        guard let values = try? EnvironmentFile.parse(text) else { return }
        for (key, value) in values {
            Fuzz.check(
                !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" },
                "accepted the key \(key.debugDescription)")
            // The format is one assignment per line, whatever the line ending.
            Fuzz.check(
                !value.unicodeScalars.contains { $0 == "\n" || $0 == "\r" },
                "the value of \(key) spans lines: \(value.debugDescription)")
        }
        let config = ConfigReader(values)
        for key in values.keys {
            _ = try? config.int(key, default: 0, range: 1...65_535)
            _ = try? config.double(key, default: 0)
            _ = try? config.bool(key, default: false)
            _ = config.list(key)
            _ = try? config.baseURL(key, default: "https://example.com")
            _ = try? config.url(key)
        }
        _ = try? CoreConfiguration(config)
        _ = try? FirebaseConfiguration(config)
        _ = try? RecaptchaConfiguration(config)
        _ = try? DatabaseConfiguration(config)
        _ = try? SyncConfiguration(config)
        _ = try? StripeConfiguration(config)
        _ = try? CryptomusConfiguration(config)
        _ = try? GatewayRegistry.enabled(in: config)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    EnvFileHarness.run(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("FuzzEnvFile_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc: argc, argv: argv, fuzzOne)
}
