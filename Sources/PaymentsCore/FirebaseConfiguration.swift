/// Where Firebase ID tokens come from and which project they must be for (DESIGN §4, §9).
public struct FirebaseConfiguration: Sendable {
    /// The live endpoint: a JSON map of key id → PEM X.509 certificate.
    public static let liveCertsURL =
        "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"

    /// `aud` of every accepted token; `iss` is derived from it.
    public var projectID: String
    /// The certificate JSON endpoint (the sandbox serves its own on loopback).
    public var certsURL: String

    public init(projectID: String, certsURL: String = FirebaseConfiguration.liveCertsURL) {
        self.projectID = projectID
        self.certsURL = certsURL
    }

    /// Reads `FIREBASE_PROJECT_ID` (required) and `FIREBASE_CERTS_URL` (default: Google's live endpoint).
    /// - Throws: `ConfigurationError` naming the variable that is missing or not an http(s) URL.
    public init(_ config: ConfigReader) throws(ConfigurationError) {
        let projectID = try config.string("FIREBASE_PROJECT_ID")
        let certsURL =
            config.optional("FIREBASE_CERTS_URL") == nil
            ? FirebaseConfiguration.liveCertsURL : try config.url("FIREBASE_CERTS_URL")
        self.init(projectID: projectID, certsURL: certsURL)
    }

    /// The only accepted `iss`.
    public var issuer: String { "https://securetoken.google.com/" + projectID }
}
