import Gateways
import PaymentsCore

/// Settings of the example gateway `acme` for the custom-gateway tests.
enum CustomFixtures {
    static let secret = "acme_webhook_secret"
    /// The Standard Webhooks specification's test secret.
    static let standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// `CUSTOM_GATEWAYS=acme` with the given scheme and extra `GW_ACME_*` values (suffix → value).
    static func environment(scheme: String = "sha256", _ extra: [String: String] = [:]) -> [String: String] {
        var values = [
            "CUSTOM_GATEWAYS": "acme",
            "GW_ACME_SCHEME": scheme,
            "GW_ACME_SECRET": scheme == "standard" ? standardSecret : secret,
        ]
        for (suffix, value) in extra { values["GW_ACME_" + suffix] = value }
        return values
    }

    static func configuration(scheme: String = "sha256", _ extra: [String: String] = [:]) throws
        -> CustomGatewayConfiguration
    {
        let all = try CustomGatewaysConfiguration(ConfigReader(environment(scheme: scheme, extra)))
        guard let acme = all.gateway("acme") else { throw ConfigurationError(variable: "acme", problem: "missing") }
        return acme
    }

    /// A paid event in the default field layout.
    static let paidBody =
        #"{"id":"evt_1","type":"payment","data":{"id":"pay_77","reference":"6f1c2a94-4d0e-4a51-9b57-1b2d3c4e5f60","amount":1000,"currency":"usd","status":"paid"}}"#
}
