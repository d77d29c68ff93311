/// The signature schemes the gateways and Firebase use, all over SHA-256.
public enum SignatureAlgorithm: Sendable {
    /// RSASSA-PKCS1-v1_5 with SHA-256: JWS `RS256`, Java's `SHA256withRSA` (Firebase, Google, PayPal).
    case rsaPKCS1SHA256
    /// ECDSA with SHA-256, the signature as a DER `ECDSA-Sig-Value`.
    case ecdsaSHA256DER
    /// JWS `ES256`: ECDSA with SHA-256, the signature as raw `r || s` (64 bytes for P-256) (App Store).
    case ecdsaSHA256Raw

    /// The key type this scheme requires, so an RSA key is never used for an ECDSA signature or the reverse.
    var keyType: Int32 {
        switch self {
        case .rsaPKCS1SHA256: return EVPKeyType.rsa
        case .ecdsaSHA256DER, .ecdsaSHA256Raw: return EVPKeyType.ec
        }
    }
}
