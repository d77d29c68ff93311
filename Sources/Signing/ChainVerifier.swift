import COpenSSL

/// Builds and checks a certificate path with OpenSSL's `X509_STORE`, at an explicit time.
///
/// A fresh store per call keeps concurrent verifications independent; the certificates themselves are shared.
public enum ChainVerifier {
    /// Verifies leaf → intermediates → one of `trustAnchors` at `time` (unix seconds).
    ///
    /// - Parameters:
    ///   - partialChain: accept an anchor that is not self-signed, e.g. a configured intermediate
    ///     (`X509_V_FLAG_PARTIAL_CHAIN`); without it the path must end at a self-signed anchor.
    ///   - strict: apply RFC 5280 encoding checks (`X509_V_FLAG_X509_STRICT`).
    /// - Returns: the number of certificates in the verified path, leaf and anchor included.
    /// - Throws: `OpenSSLError` naming OpenSSL's verification error (expired, untrusted, bad signature, …).
    @discardableResult
    public static func verify(
        leaf: Certificate, intermediates: [Certificate], trustAnchors: [Certificate], at time: Int64,
        partialChain: Bool, strict: Bool
    ) throws -> Int {
        guard !trustAnchors.isEmpty else { throw OpenSSLError("no trust anchor configured") }
        guard let store = X509_STORE_new() else { throw OpenSSLError("X509_STORE_new") }
        defer { X509_STORE_free(store) }
        for anchor in trustAnchors {
            // X509_STORE_add_cert takes its own reference.
            guard X509_STORE_add_cert(store, anchor.pointer) == 1 else { throw OpenSSLError("X509_STORE_add_cert") }
        }
        guard let untrusted = COpenSSLShim_sk_X509_new_null() else { throw OpenSSLError("sk_X509_new_null") }
        // The stack holds borrowed pointers; `intermediates` keeps them alive until the end of this function.
        defer { COpenSSLShim_sk_X509_free(untrusted) }
        for certificate in intermediates {
            guard COpenSSLShim_sk_X509_push(untrusted, certificate.pointer) > 0 else {
                throw OpenSSLError("sk_X509_push")
            }
        }
        guard let context = X509_STORE_CTX_new() else { throw OpenSSLError("X509_STORE_CTX_new") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, untrusted) == 1 else {
            throw OpenSSLError("X509_STORE_CTX_init")
        }
        guard let parameters = X509_STORE_CTX_get0_param(context) else {
            throw OpenSSLError("X509_STORE_CTX_get0_param")
        }
        var flags = 0
        if partialChain { flags |= Int(X509_V_FLAG_PARTIAL_CHAIN) }
        if strict { flags |= Int(X509_V_FLAG_X509_STRICT) }
        if flags != 0, X509_VERIFY_PARAM_set_flags(parameters, UInt(flags)) != 1 {
            throw OpenSSLError("X509_VERIFY_PARAM_set_flags")
        }
        X509_VERIFY_PARAM_set_time(parameters, time_t(time))
        let verified = withExtendedLifetime(intermediates) { X509_verify_cert(context) }
        guard verified == 1 else {
            let code = X509_STORE_CTX_get_error(context)
            let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "code \(code)"
            OpenSSLError.clearQueue()
            throw OpenSSLError("certificate chain rejected: \(reason)")
        }
        return Int(COpenSSLShim_sk_X509_num(X509_STORE_CTX_get0_chain(context)))
    }
}
