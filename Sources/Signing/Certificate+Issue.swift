import COpenSSL

extension Certificate {
    /// Issues a certificate for `subjectKey` signed by `issuerKey` (self-signed when `issuer` is nil), for the
    /// sandbox's test chains and for tests.
    ///
    /// SHA-256 (SHA-384 when `issuerKey` is a P-384 key, as Apple's CAs sign), a random positive 128-bit serial, validity [now - 1 h, now + `days`], a critical basicConstraints
    /// (`CA:TRUE`/`CA:FALSE`), a critical keyUsage (certificate and CRL signing for a CA, digital signature for a
    /// leaf), subject and authority key identifiers, plus `extraExtensions` as (dotted OID, DER value) pairs,
    /// non-critical.
    /// - Throws: `OpenSSLError` when any step fails.
    public static func issue(
        commonName: String, subjectKey: PrivateKey, issuer: Certificate?, issuerKey: PrivateKey, isCA: Bool, days: Int,
        extraExtensions: [(oid: String, der: [UInt8])] = []
    ) throws -> Certificate {
        guard let x509 = X509_new() else { throw OpenSSLError("X509_new") }
        let certificate = Certificate(owning: x509)
        guard X509_set_version(x509, 2) == 1 else { throw OpenSSLError("X509_set_version") }
        try setSerial(x509)
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x509), Int32(clamping: days), 0, nil) != nil
        else { throw OpenSSLError("validity") }

        guard let name = X509_NAME_new() else { throw OpenSSLError("X509_NAME_new") }
        defer { X509_NAME_free(name) }
        let bytes = Array(commonName.utf8)
        let added = Bytes.withPointer(bytes) { base, count in
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, base, Int32(count), -1, 0)
        }
        guard added == 1, X509_set_subject_name(x509, name) == 1 else { throw OpenSSLError("subject name") }
        let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? X509_get_subject_name(x509)
        guard X509_set_issuer_name(x509, issuerName) == 1 else { throw OpenSSLError("X509_set_issuer_name") }
        guard X509_set_pubkey(x509, subjectKey.key.pointer) == 1 else { throw OpenSSLError("X509_set_pubkey") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        try addExtension(x509, &context, NID_basic_constraints, isCA ? "critical,CA:TRUE" : "critical,CA:FALSE")
        try addExtension(
            x509, &context, NID_key_usage, isCA ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature")
        try addExtension(x509, &context, NID_subject_key_identifier, "hash")
        try addExtension(x509, &context, NID_authority_key_identifier, "keyid:always")
        for extra in extraExtensions { try addExtension(x509, oid: extra.oid, der: extra.der) }

        let digest =
            issuerKey.key.type == EVPKeyType.ec && issuerKey.key.componentSize > 32 ? EVP_sha384() : EVP_sha256()
        guard X509_sign(x509, issuerKey.key.pointer, digest) > 0 else { throw OpenSSLError("X509_sign") }
        return certificate
    }

    private static func setSerial(_ x509: OpaquePointer) throws(OpenSSLError) {
        var serial = SecureRandom.bytes(16)
        serial[0] &= 0x7f  // positive, as RFC 5280 requires
        serial[0] |= 0x40  // and never shorter than 16 bytes
        let number = Bytes.withPointer(serial) { base, count in BN_bin2bn(base, Int32(count), nil) }
        guard let number else { throw OpenSSLError("BN_bin2bn") }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil else {
            throw OpenSSLError("BN_to_ASN1_INTEGER")
        }
    }

    private static func addExtension(
        _ x509: OpaquePointer, _ context: inout X509V3_CTX, _ nid: Int32, _ value: String
    ) throws(OpenSSLError) {
        guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else { throw OpenSSLError("extension \(nid)") }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(x509, ext, -1) == 1 else { throw OpenSSLError("X509_add_ext") }
    }

    private static func addExtension(_ x509: OpaquePointer, oid: String, der: [UInt8]) throws(OpenSSLError) {
        guard let object = OBJ_txt2obj(oid, 1) else { throw OpenSSLError("OBJ_txt2obj(\(oid))") }
        defer { ASN1_OBJECT_free(object) }
        guard let value = ASN1_OCTET_STRING_new() else { throw OpenSSLError("ASN1_OCTET_STRING_new") }
        defer { ASN1_OCTET_STRING_free(value) }
        let set = Bytes.withPointer(der) { base, count in ASN1_OCTET_STRING_set(value, base, Int32(count)) }
        guard set == 1, let ext = X509_EXTENSION_create_by_OBJ(nil, object, 0, value) else {
            throw OpenSSLError("X509_EXTENSION_create_by_OBJ")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(x509, ext, -1) == 1 else { throw OpenSSLError("X509_add_ext") }
    }
}
