import PaymentsCore

/// The sandbox's settings, read from the shared env file (`SANDBOX_*` keys plus the secrets it emulates the other side of).
struct SandboxConfiguration: Sendable {
    let portBase: Int
    /// Base URL that webhooks are POSTed under (`<target>/stripe-handleWebhookEvents`); nil disables delivery.
    let webhookTarget: String?
    let firebaseProjectID: String
    let stripeSecretKey: String
    let stripeWebhookSecret: String
    let retailAPIKey: String
    let recaptchaSecret: String
    let paypalClientID: String
    let paypalSecret: String
    let paypalWebhookID: String
    /// Where the PayPal emulator writes its webhook-signing root (`PAYPAL_TRUST_ROOTS`); nil keeps it in memory.
    let paypalTrustRoots: String?
    let cryptomusMerchantID: String
    let cryptomusPaymentKey: String
    let appStoreBundleID: String
    let appStoreAppAppleID: Int64
    let appStoreIssuerID: String
    let appStoreKeyID: String
    /// Where the App Store emulator writes its test Apple root (`APPSTORE_ROOT_CERTS`); nil keeps it in memory.
    let appStoreRootCerts: String?
    /// Where it writes (or finds) the App Store Server API key (`APPSTORE_PRIVATE_KEY_FILE`); nil keeps it in memory.
    let appStorePrivateKeyFile: String?
    /// Google Play's service account, package and push settings.
    let google: GoogleSandboxSettings
    /// The operator-configured gateways to play (`CUSTOM_GATEWAYS` and every `GW_<ID>_SECRET`).
    let custom: [CustomSandboxGateway]
    let payeerShopID: String
    let payeerSecretKey: String
    let payeerParamsKey: String
    let anypayMerchantID: String
    let anypaySecretKey: String

    /// Reads and checks every value; a missing secret falls back to the documented test value.
    init(_ reader: ConfigReader) throws(ConfigurationError) {
        portBase = try reader.int("SANDBOX_PORT_BASE", default: 8100, range: 1...65530)
        if let target = reader.optional("SANDBOX_WEBHOOK_TARGET") {
            guard target.hasPrefix("http://") else {
                throw ConfigurationError(variable: "SANDBOX_WEBHOOK_TARGET", problem: "must be a plain http:// URL")
            }
            webhookTarget = target.hasSuffix("/") ? String(target.dropLast()) : target
        } else {
            webhookTarget = nil
        }
        firebaseProjectID = reader.string("FIREBASE_PROJECT_ID", default: "tn-sandbox")
        stripeSecretKey = reader.string("STRIPE_SECRET_KEY", default: "sk_test_sandbox")
        stripeWebhookSecret = reader.list("STRIPE_WEBHOOK_SECRET").first ?? "whsec_sandbox_secret"
        retailAPIKey = reader.string("RETAIL_API_KEY", default: "retail_sandbox_key")
        recaptchaSecret = reader.string("RECAPTCHA_SECRET", default: "recaptcha_sandbox_secret")
        paypalClientID = reader.string("PAYPAL_CLIENT_ID", default: "paypal_sandbox_client")
        paypalSecret = reader.string("PAYPAL_SECRET", default: "paypal_sandbox_secret")
        paypalWebhookID = reader.string("PAYPAL_WEBHOOK_ID", default: "WH-SANDBOX-WEBHOOK-ID")
        paypalTrustRoots = reader.optional("PAYPAL_TRUST_ROOTS")
        cryptomusMerchantID = reader.string("CRYPTOMUS_MERCHANT_ID", default: "sandbox-merchant")
        cryptomusPaymentKey = reader.string("CRYPTOMUS_PAYMENT_KEY", default: "cryptomus_sandbox_payment_key")
        appStoreBundleID = reader.string("APPSTORE_BUNDLE_ID", default: "com.example.tnpayments")
        appStoreAppAppleID = Int64(try reader.int("APPSTORE_APP_APPLE_ID", default: 1_234_567_890, range: 1...Int.max))
        appStoreIssuerID = reader.string("APPSTORE_ISSUER_ID", default: "57246542-96fe-1a63-e053-0824d011072a")
        appStoreKeyID = reader.string("APPSTORE_KEY_ID", default: "SANDBOXKEY1")
        appStoreRootCerts = reader.optional("APPSTORE_ROOT_CERTS")
        appStorePrivateKeyFile = reader.optional("APPSTORE_PRIVATE_KEY_FILE")
        google = try GoogleSandboxSettings(reader)
        custom = try CustomSandboxGateway.all(reader)
        payeerShopID = reader.string("PAYEER_SHOP_ID", default: "287402376")
        payeerSecretKey = reader.string("PAYEER_SECRET_KEY", default: "payeer_sandbox_secret")
        payeerParamsKey = reader.string("PAYEER_PARAMS_KEY", default: "payeer_sandbox_params_key")
        anypayMerchantID = reader.string("ANYPAY_MERCHANT_ID", default: "13990")
        anypaySecretKey = reader.string("ANYPAY_SECRET_KEY", default: "anypay_sandbox_secret")
    }

    var controlPort: Int { portBase }
    var stripePort: Int { portBase + 1 }
    var paypalPort: Int { portBase + 2 }
    var cryptomusPort: Int { portBase + 3 }
    var retailPort: Int { portBase + 4 }
    var appStorePort: Int { portBase + 5 }
    /// Google: OAuth token endpoint, OIDC certificates and Android Publisher.
    var googlePort: Int { portBase + 6 }
    /// Operator-configured gateways' checkout pages.
    var customPort: Int { portBase + 9 }
    /// Payeer's merchant page.
    var payeerPort: Int { portBase + 7 }
    /// Anypay's merchant page.
    var anypayPort: Int { portBase + 8 }
}
