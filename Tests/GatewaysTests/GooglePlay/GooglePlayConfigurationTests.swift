import Gateways
import PaymentsCore
import Signing
import Testing

@Suite struct GooglePlayConfigurationTests {
    @Test func readsEveryVariable() throws {
        let configuration = try GooglePlayFixtures.configuration()
        #expect(configuration.packageName == GooglePlayFixtures.packageName)
        #expect(configuration.serviceAccount.clientEmail == "play@tn-test.iam.gserviceaccount.com")
        #expect(configuration.serviceAccount.privateKeyID == "kid-sa-1")
        #expect(configuration.serviceAccount.tokenURI == GooglePlayFixtures.tokenURI)
        #expect(configuration.products.price(of: "coins_500") == Money(cents: 499))
        #expect(configuration.products.price(of: "coins_1200") == Money(cents: 999))
        #expect(configuration.products.price(of: "coins_9000") == nil)
        #expect(configuration.pubsubAudience == "https://pay.test/api/googleplay-handleWebhookEvents")
        #expect(configuration.pubsubServiceAccount == "push@tn-test.iam.gserviceaccount.com")
        #expect(configuration.oidcCertsURL == "https://oidc.test/certs")
        #expect(configuration.apiBase == "https://play.test")
    }

    @Test func defaultsToGooglesOwnEndpoints() throws {
        var environment = GooglePlayFixtures.environment(key: try #require(GooglePlayFixtures.serviceKey))
        environment["GOOGLE_OIDC_CERTS_URL"] = nil
        environment["GOOGLE_PLAY_API_BASE"] = ""
        let configuration = try GooglePlayConfiguration(ConfigReader(environment))
        #expect(configuration.oidcCertsURL == "https://www.googleapis.com/oauth2/v1/certs")
        #expect(configuration.apiBase == "https://androidpublisher.googleapis.com")
    }

    @Test(arguments: [
        "GOOGLE_PLAY_PACKAGE_NAME", "GOOGLE_PLAY_SECRET_FILE", "GOOGLE_PLAY_PRODUCTS", "GOOGLE_PUBSUB_AUDIENCE",
        "GOOGLE_PUBSUB_SERVICE_ACCOUNT",
    ])
    func aMissingVariableIsNamed(_ variable: String) throws {
        var environment = GooglePlayFixtures.environment(key: try #require(GooglePlayFixtures.serviceKey))
        environment[variable] = nil
        let error = #expect(throws: ConfigurationError.self) { try GooglePlayConfiguration(ConfigReader(environment)) }
        #expect(error?.variable == variable)
    }

    /// (value, what the message must say); the key itself never appears in a message.
    @Test(arguments: [
        ("/etc/tn-payments/play.json", "must be the service-account JSON key itself"),
        (#"{"client_email":"a@b","private_key_id":"k","token_uri":"https://t/token"}"#, "has no private_key"),
        (#"{"client_email":"a@b","private_key_id":"k","private_key":"x","token_uri":"ftp://t"}"#, "not an http(s)"),
        (#"{"client_email":"a@b","private_key_id":"k","private_key":"junk","token_uri":"https://t"}"#, "PEM RSA"),
    ])
    func aMalformedSecretIsRefused(_ value: String, _ problem: String) throws {
        var environment = GooglePlayFixtures.environment(key: try #require(GooglePlayFixtures.serviceKey))
        environment["GOOGLE_PLAY_SECRET_FILE"] = value
        let error = #expect(throws: ConfigurationError.self) { try GooglePlayConfiguration(ConfigReader(environment)) }
        #expect(error?.variable == "GOOGLE_PLAY_SECRET_FILE")
        #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
    }

    @Test func anECKeyIsRefusedAtStartUp() throws {
        var environment = GooglePlayFixtures.environment(key: try #require(GooglePlayFixtures.serviceKey))
        environment["GOOGLE_PLAY_SECRET_FILE"] = GooglePlayFixtures.secretJSON(key: try PrivateKey.generateP256())
        let error = #expect(throws: ConfigurationError.self) { try GooglePlayConfiguration(ConfigReader(environment)) }
        #expect(error?.problem.contains("not a PEM RSA key") == true)
        #expect(error?.description.contains("PRIVATE KEY") == false)
    }

    @Test(arguments: [
        "coins_500", "coins_500=", "coins_500=0", "coins_500=-5", "coins_500=4.99", "=499", "a=1,a=2",
        "coins_500=1234567890123", " , ",
    ])
    func aMalformedProductTableIsRefused(_ value: String) throws {
        var environment = GooglePlayFixtures.environment(key: try #require(GooglePlayFixtures.serviceKey))
        environment["GOOGLE_PLAY_PRODUCTS"] = value
        let error = #expect(throws: ConfigurationError.self) { try GooglePlayConfiguration(ConfigReader(environment)) }
        #expect(error?.variable == "GOOGLE_PLAY_PRODUCTS")
    }

    /// The key JSON as scripts/write-env.sh writes it: one single-quoted line, the PEM's line ends as JSON `\n`.
    @Test func theKeyFileReadsFromASingleQuotedEnvLine() throws {
        let key = try #require(GooglePlayFixtures.serviceKey)
        let line = "GOOGLE_PLAY_SECRET_FILE='" + GooglePlayFixtures.secretJSON(key: key) + "'\n"
        #expect(!line.dropLast().contains("\n"))
        let values = try EnvironmentFile.parse(line)
        var environment = GooglePlayFixtures.environment(key: key)
        environment["GOOGLE_PLAY_SECRET_FILE"] = values["GOOGLE_PLAY_SECRET_FILE"]
        let configuration = try GooglePlayConfiguration(ConfigReader(environment))
        #expect(configuration.serviceAccount.privateKey.publicKey.pem == key.publicKey.pem)
    }
}
