import ArgumentParser
import Glibc
import Logging
import PaymentsCore

/// `payments-sandbox serve --env-file <file>`: runs every emulator until SIGTERM or SIGINT.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the sandbox servers.")

    @Option(help: "The shared env file (SANDBOX_PORT_BASE, SANDBOX_WEBHOOK_TARGET, secrets).")
    var envFile: String

    @Flag(help: "Log only warnings (no line per request).")
    var quiet = false

    func run() throws {
        var logger = Logger(label: "payments-sandbox")
        logger.logLevel = quiet ? .warning : .info
        let configuration: SandboxConfiguration
        do {
            configuration = try SandboxConfiguration(ConfigReader(EnvironmentFile.load(path: envFile, required: true)))
        } catch {
            // The exit code every executable uses for a configuration error (78, EX_CONFIG).
            var standardError = StandardError()
            print("payments-sandbox: \(error)", to: &standardError)
            throw ExitCode(ConfigurationError.exitCode)
        }

        // Block the stop signals before any thread starts so every thread inherits the mask and sigwait gets them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let firebase = try FirebaseEmulator(projectID: configuration.firebaseProjectID)
        let stripe = StripeEmulator(
            secretKey: configuration.stripeSecretKey, webhookTarget: configuration.webhookTarget,
            webhookSecret: configuration.stripeWebhookSecret, logger: logger)
        let retail = RetailEmulator(apiKey: configuration.retailAPIKey)
        let paypal = try PayPalEmulator(
            clientID: configuration.paypalClientID, secret: configuration.paypalSecret,
            webhookID: configuration.paypalWebhookID,
            port: configuration.paypalPort, trustRootsPath: configuration.paypalTrustRoots,
            webhookTarget: configuration.webhookTarget,
            logger: logger)
        let cryptomus = CryptomusEmulator(
            merchantID: configuration.cryptomusMerchantID, paymentKey: configuration.cryptomusPaymentKey,
            webhookTarget: configuration.webhookTarget, logger: logger)
        let appStore = try AppStoreEmulator(
            bundleID: configuration.appStoreBundleID, appAppleID: configuration.appStoreAppAppleID,
            issuerID: configuration.appStoreIssuerID, keyID: configuration.appStoreKeyID,
            rootsPath: configuration.appStoreRootCerts, privateKeyPath: configuration.appStorePrivateKeyFile,
            webhookTarget: configuration.webhookTarget, logger: logger)
        let googlePlay = try GooglePlayEmulator(
            settings: configuration.google, webhookTarget: configuration.webhookTarget, logger: logger)
        let custom = CustomGatewayEmulator(
            gateways: configuration.custom, webhookTarget: configuration.webhookTarget, logger: logger)
        let payeer = PayeerEmulator(
            shopID: configuration.payeerShopID, secretKey: configuration.payeerSecretKey,
            paramsKey: configuration.payeerParamsKey, webhookTarget: configuration.webhookTarget, logger: logger)
        let anypay = AnypayEmulator(
            merchantID: configuration.anypayMerchantID, secretKey: configuration.anypaySecretKey,
            webhookTarget: configuration.webhookTarget, logger: logger)
        let control = ControlService(
            firebase: firebase, recaptcha: RecaptchaEmulator(secret: configuration.recaptchaSecret), stripe: stripe,
            retail: retail, cryptomus: cryptomus, paypal: paypal, appStore: appStore, googlePlay: googlePlay,
            custom: custom, payeer: payeer, anypay: anypay)
        let servers = [
            try HTTPServer(name: "control", port: configuration.controlPort, service: control, logger: logger),
            try HTTPServer(name: "stripe", port: configuration.stripePort, service: stripe, logger: logger),
            try HTTPServer(name: "paypal", port: configuration.paypalPort, service: paypal, logger: logger),
            try HTTPServer(name: "cryptomus", port: configuration.cryptomusPort, service: cryptomus, logger: logger),
            try HTTPServer(name: "retail", port: configuration.retailPort, service: retail, logger: logger),
            try HTTPServer(name: "appstore", port: configuration.appStorePort, service: appStore, logger: logger),
            try HTTPServer(name: "google", port: configuration.googlePort, service: googlePlay, logger: logger),
            try HTTPServer(name: "custom", port: configuration.customPort, service: custom, logger: logger),
            try HTTPServer(name: "payeer", port: configuration.payeerPort, service: payeer, logger: logger),
            try HTTPServer(name: "anypay", port: configuration.anypayPort, service: anypay, logger: logger),
        ]
        for server in servers { server.start() }
        logger.warning(
            "payments-sandbox listening on 127.0.0.1: control \(configuration.controlPort), stripe \(configuration.stripePort), paypal \(configuration.paypalPort), cryptomus \(configuration.cryptomusPort), retail \(configuration.retailPort), appstore \(configuration.appStorePort), google \(configuration.googlePort), payeer \(configuration.payeerPort), anypay \(configuration.anypayPort), custom \(configuration.customPort); webhooks → \(configuration.webhookTarget ?? "(disabled)")"
        )

        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        logger.warning("payments-sandbox stopping (signal \(received))")
        for server in servers { server.stop() }
    }
}
