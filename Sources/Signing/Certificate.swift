import COpenSSL

/// An X.509 certificate: parsed, inspected, or issued for test chains.
///
/// Safe to share across threads (`@unchecked Sendable`): the `X509` is never mutated after init (OpenSSL 3 guards
/// its lazily cached extension data with the object's own lock), and it is freed exactly once, in deinit.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of one reference to `pointer`.
    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }

    /// Parses the first `BEGIN CERTIFICATE` block in `pem`.
    /// - Throws: `OpenSSLError` when there is none or it is malformed.
    public convenience init(pem: String) throws {
        let bio = try MemoryBIO(text: pem)
        guard let pointer = PEM_read_bio_X509(bio.pointer, nil, nil, nil) else {
            throw OpenSSLError("PEM_read_bio_X509")
        }
        self.init(owning: pointer)
    }

    /// Parses one DER-encoded certificate (as in a JWS `x5c` entry).
    /// - Throws: `OpenSSLError` when the bytes are not exactly one certificate.
    public convenience init(der: [UInt8]) throws {
        let parsed: OpaquePointer? = Bytes.withPointer(der) { base, count in
            var cursor = base
            let certificate = d2i_X509(nil, &cursor, count)
            // Trailing bytes after the certificate mean the input was not one certificate.
            if let certificate, let base, let cursor, cursor - base != count {
                X509_free(certificate)
                return nil
            }
            return certificate
        }
        guard let parsed else { throw OpenSSLError("d2i_X509") }
        self.init(owning: parsed)
    }

    /// Every certificate in a PEM bundle, in order.
    /// - Throws: `OpenSSLError` when the bundle holds no certificate or a malformed one.
    public static func parseAll(pem: String) throws -> [Certificate] {
        let bio = try MemoryBIO(text: pem)
        var certificates: [Certificate] = []
        while let pointer = PEM_read_bio_X509(bio.pointer, nil, nil, nil) {
            certificates.append(Certificate(owning: pointer))
        }
        // Reading past the last block always queues "no start line"; anything else is a malformed block.
        let reason = ERR_GET_REASON(ERR_peek_last_error())
        if reason != PEM_R_NO_START_LINE || certificates.isEmpty {
            throw OpenSSLError(certificates.isEmpty ? "no certificate in PEM bundle" : "malformed PEM bundle")
        }
        OpenSSLError.clearQueue()
        return certificates
    }

    /// The certificate as a `BEGIN CERTIFICATE` block.
    public var pem: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_X509(bio.pointer, pointer) == 1 else {
            OpenSSLError.clearQueue()
            return ""
        }
        return bio.text
    }

    /// The DER encoding.
    public var der: [UInt8] {
        let length = i2d_X509(pointer, nil)
        guard length > 0 else { return [] }
        let bytes = Bytes.fill(capacity: Int(length)) { out in
            var cursor = out
            return Int(i2d_X509(pointer, &cursor))
        }
        return bytes ?? []
    }

    /// The subject public key, to check what the certificate's holder signed.
    public var publicKey: PublicKey {
        get throws {
            guard let key = X509_get_pubkey(pointer) else { throw OpenSSLError("X509_get_pubkey") }
            return PublicKey(key: EVPKey(owning: key))
        }
    }

    /// The first subject CN, as UTF-8; nil when the subject has none.
    public var subjectCommonName: String? {
        guard let name = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else {
            OpenSSLError.clearQueue()
            return nil
        }
        defer { COpenSSLShim_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// Start of validity, unix seconds.
    public var notBefore: Int64 { Self.unixTime(X509_get0_notBefore(pointer)) }

    /// End of validity, unix seconds.
    public var notAfter: Int64 { Self.unixTime(X509_get0_notAfter(pointer)) }

    /// Whether an extension with the dotted `oid` is present (critical or not), e.g. Apple's
    /// `1.2.840.113635.100.6.11.1` marker on its signing leaf.
    public func hasExtension(oid: String) -> Bool {
        guard let object = OBJ_txt2obj(oid, 1) else {
            OpenSSLError.clearQueue()
            return false
        }
        defer { ASN1_OBJECT_free(object) }
        return X509_get_ext_by_OBJ(pointer, object, -1) >= 0
    }

    private static func unixTime(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else {
            OpenSSLError.clearQueue()
            return 0
        }
        let days = CivilDate.daysSinceEpoch(
            year: Int64(parts.tm_year) + 1900, month: Int64(parts.tm_mon) + 1, day: Int64(parts.tm_mday))
        return days * 86_400 + Int64(parts.tm_hour) * 3600 + Int64(parts.tm_min) * 60 + Int64(parts.tm_sec)
    }
}
