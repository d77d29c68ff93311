import Gateways
import PaymentsCore
import Signing
import Testing

/// Keys and configuration shared by the Google Play suites (RSA generation is slow, so once per run).
enum GooglePlayFixtures {
    static let serviceKey: PrivateKey? = try? PrivateKey.generateRSA()
    static let tokenURI = "https://oauth2.test/token"
    static let packageName = "com.tempnumber.app"

    /// The service-account JSON as Google's console downloads it (members this backend ignores included).
    static func secretJSON(key: PrivateKey, tokenURI: String = tokenURI) -> String {
        JSONValue.object([
            ("type", .string("service_account")), ("project_id", .string("tn-test")),
            ("private_key_id", .string("kid-sa-1")), ("private_key", .string(key.pem)),
            ("client_email", .string("play@tn-test.iam.gserviceaccount.com")), ("client_id", .string("1234")),
            ("auth_uri", .string("https://accounts.google.com/o/oauth2/auth")), ("token_uri", .string(tokenURI)),
            ("universe_domain", .string("googleapis.com")),
        ]).serialized()
    }

    static func environment(key: PrivateKey) -> [String: String] {
        [
            "GOOGLE_PLAY_PACKAGE_NAME": packageName, "GOOGLE_PLAY_SECRET_FILE": secretJSON(key: key),
            "GOOGLE_PLAY_PRODUCTS": "coins_500=499, coins_1200=999",
            "GOOGLE_PUBSUB_AUDIENCE": "https://pay.test/api/googleplay-handleWebhookEvents",
            "GOOGLE_PUBSUB_SERVICE_ACCOUNT": "push@tn-test.iam.gserviceaccount.com",
            "GOOGLE_OIDC_CERTS_URL": "https://oidc.test/certs", "GOOGLE_PLAY_API_BASE": "https://play.test",
        ]
    }

    static func configuration() throws -> GooglePlayConfiguration {
        let key = try #require(serviceKey)
        return try GooglePlayConfiguration(ConfigReader(environment(key: key)))
    }
}
