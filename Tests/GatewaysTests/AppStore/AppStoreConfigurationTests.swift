import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// `APPSTORE_*` settings: parsed once, each failure naming its variable.
@Suite struct AppStoreConfigurationTests {
    /// A temporary directory with a roots file and a key file, and the variables pointing at them.
    static func values(_ overrides: [String: String] = [:]) throws -> [String: String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("appstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pki = try AppStoreTestPKI.make()
        let other = try AppStoreTestPKI.make()
        let roots = directory.appendingPathComponent("roots.pem")
        try Data((pki.root.pem + other.root.pem).utf8).write(to: roots)
        let key = directory.appendingPathComponent("key.p8")
        try Data(try PrivateKey.generateP256().pem.utf8).write(to: key)
        var values = [
            "APPSTORE_BUNDLE_ID": "com.example.tn", "APPSTORE_APP_APPLE_ID": "1234567890",
            "APPSTORE_ENVIRONMENTS": "Production, Sandbox", "APPSTORE_ROOT_CERTS": roots.path,
            "APPSTORE_PRODUCTS": "coins_500=499, coins_1200 = 999", "APPSTORE_ISSUER_ID": "issuer",
            "APPSTORE_KEY_ID": "KEY", "APPSTORE_PRIVATE_KEY_FILE": key.path,
        ]
        values.merge(overrides) { _, new in new }
        return values
    }

    static func problem(_ overrides: [String: String]) throws -> String? {
        do {
            _ = try AppStoreConfiguration(ConfigReader(try values(overrides)))
            return nil
        } catch let error as ConfigurationError {
            return error.variable
        }
    }

    @Test func readsEverything() throws {
        let configuration = try AppStoreConfiguration(ConfigReader(try Self.values()))
        #expect(configuration.bundleID == "com.example.tn")
        #expect(configuration.appAppleID == 1_234_567_890)
        #expect(configuration.environments == [.production, .sandbox])
        #expect(configuration.rootCertificates.count == 2)
        #expect(configuration.products.price(of: "coins_1200") == Money(cents: 999))
        #expect(configuration.products.price(of: "coins_500") == Money(cents: 499))
        #expect(configuration.products.price(of: "COINS_500") == nil)
        #expect(configuration.apiBase == AppStoreConfiguration.productionAPIBase)
    }

    @Test func sandboxOnlyDefaultsToTheSandboxAPIAndNeedsNoAppleID() throws {
        let configuration = try AppStoreConfiguration(
            ConfigReader(try Self.values(["APPSTORE_ENVIRONMENTS": "Sandbox", "APPSTORE_APP_APPLE_ID": ""])))
        #expect(configuration.apiBase == AppStoreConfiguration.sandboxAPIBase)
        #expect(configuration.appAppleID == nil)
    }

    @Test func eachProblemNamesItsVariable() throws {
        #expect(try Self.problem(["APPSTORE_BUNDLE_ID": ""]) == "APPSTORE_BUNDLE_ID")
        #expect(try Self.problem(["APPSTORE_APP_APPLE_ID": ""]) == "APPSTORE_APP_APPLE_ID")
        #expect(try Self.problem(["APPSTORE_APP_APPLE_ID": "abc"]) == "APPSTORE_APP_APPLE_ID")
        #expect(try Self.problem(["APPSTORE_ENVIRONMENTS": ""]) == "APPSTORE_ENVIRONMENTS")
        #expect(try Self.problem(["APPSTORE_ENVIRONMENTS": "Sandbox,Xcode"]) == "APPSTORE_ENVIRONMENTS")
        #expect(try Self.problem(["APPSTORE_ENVIRONMENTS": "LocalTesting"]) == "APPSTORE_ENVIRONMENTS")
        #expect(try Self.problem(["APPSTORE_ENVIRONMENTS": "production"]) == "APPSTORE_ENVIRONMENTS")
        #expect(try Self.problem(["APPSTORE_ROOT_CERTS": "/nonexistent/roots.pem"]) == "APPSTORE_ROOT_CERTS")
        #expect(try Self.problem(["APPSTORE_PRODUCTS": ""]) == "APPSTORE_PRODUCTS")
        #expect(try Self.problem(["APPSTORE_PRODUCTS": "coins_500"]) == "APPSTORE_PRODUCTS")
        #expect(try Self.problem(["APPSTORE_PRODUCTS": "coins_500=4.99"]) == "APPSTORE_PRODUCTS")
        #expect(try Self.problem(["APPSTORE_PRODUCTS": "coins_500=0"]) == "APPSTORE_PRODUCTS")
        #expect(try Self.problem(["APPSTORE_PRODUCTS": "a=1,a=2"]) == "APPSTORE_PRODUCTS")
        #expect(try Self.problem(["APPSTORE_PRODUCTS": "=5"]) == "APPSTORE_PRODUCTS")
        #expect(try Self.problem(["APPSTORE_ISSUER_ID": ""]) == "APPSTORE_ISSUER_ID")
        #expect(try Self.problem(["APPSTORE_KEY_ID": ""]) == "APPSTORE_KEY_ID")
        #expect(try Self.problem(["APPSTORE_PRIVATE_KEY_FILE": "/nonexistent/key.p8"]) == "APPSTORE_PRIVATE_KEY_FILE")
        #expect(try Self.problem(["APPSTORE_API_BASE": "https://api.example/path"]) == "APPSTORE_API_BASE")
        #expect(try Self.problem([:]) == nil)
    }

    @Test func rootsFileMustHoldCertificatesAndKeyMustBeP256() throws {
        let directory = FileManager.default.temporaryDirectory
        let junk = directory.appendingPathComponent("appstore-junk-\(UUID().uuidString).pem")
        try Data("not a certificate".utf8).write(to: junk)
        #expect(try Self.problem(["APPSTORE_ROOT_CERTS": junk.path]) == "APPSTORE_ROOT_CERTS")
        #expect(try Self.problem(["APPSTORE_PRIVATE_KEY_FILE": junk.path]) == "APPSTORE_PRIVATE_KEY_FILE")
        let rsa = directory.appendingPathComponent("appstore-rsa-\(UUID().uuidString).p8")
        try Data(try PrivateKey.generateRSA().pem.utf8).write(to: rsa)
        #expect(try Self.problem(["APPSTORE_PRIVATE_KEY_FILE": rsa.path]) == "APPSTORE_PRIVATE_KEY_FILE")
    }
}
