// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for every parser of untrusted bytes (README "Fuzzing"). A package of its own, so the normal
// build never sees `-sanitize=fuzzer`: `scripts/fuzz.sh` builds it into `.build-fuzz` with
// `-sanitize=fuzzer,address -parse-as-library`. Each harness target exports `LLVMFuzzerTestOneInput` and its
// `<Module>_main`, which starts libFuzzer's driver.

/// Harness (the executable, `Corpus/<name>/`, `Dictionaries/<name>.dict`) and its target.
let harnesses: [(name: String, target: String)] = [
    ("fastcgi-request", "FuzzFastCGIRequest"),
    ("json", "FuzzJSON"),
    ("form", "FuzzForm"),
    ("firebase-token", "FuzzFirebaseToken"),
    ("stripe-signature", "FuzzStripeSignature"),
    ("paypal-signature", "FuzzPayPalSignature"),
    ("cryptomus-webhook", "FuzzCryptomusWebhook"),
    ("pem-x509", "FuzzPEMX509"),
    ("env-file", "FuzzEnvFile"),
]

let package = Package(
    name: "tn-payments-fuzz",
    platforms: [.macOS(.v15)],
    products: harnesses.map { .executable(name: $0.name, targets: [$0.target]) },
    dependencies: [.package(name: "tn-payments", path: "..")],
    targets: [.target(name: "FuzzSupport")]
        + harnesses.map {
            .executableTarget(
                name: $0.target,
                dependencies: ["FuzzSupport", .product(name: "PaymentsLibraries", package: "tn-payments")])
        }
)
