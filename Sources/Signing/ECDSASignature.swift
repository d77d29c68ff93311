import COpenSSL

/// Converts ECDSA signatures between JWS raw `r || s` and DER `ECDSA-Sig-Value` (`ECDSA_SIG_set0` + `i2d_ECDSA_SIG`).
enum ECDSASignature {
    /// DER for a raw signature whose halves are `componentSize` bytes each, or nil when the length is wrong.
    static func der(fromRaw raw: [UInt8], componentSize: Int) -> [UInt8]? {
        guard componentSize > 0, raw.count == 2 * componentSize else { return nil }
        guard let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let r = Bytes.withPointer(Array(raw[..<componentSize])) { base, count in BN_bin2bn(base, Int32(count), nil) }
        let s = Bytes.withPointer(Array(raw[componentSize...])) { base, count in BN_bin2bn(base, Int32(count), nil) }
        guard let r, let s else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        // ECDSA_SIG_set0 takes ownership of both numbers on success only.
        guard ECDSA_SIG_set0(sig, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { return nil }
        return Bytes.fill(capacity: Int(length)) { out in
            var cursor = out
            return Int(i2d_ECDSA_SIG(sig, &cursor))
        }
    }

    /// Raw `r || s`, each left-padded to `componentSize`, for a DER signature.
    static func raw(fromDER der: [UInt8], componentSize: Int) throws(OpenSSLError) -> [UInt8] {
        let parsed: OpaquePointer? = Bytes.withPointer(der) { base, count in
            var cursor = base
            return d2i_ECDSA_SIG(nil, &cursor, count)
        }
        guard let sig = parsed else { throw OpenSSLError("d2i_ECDSA_SIG") }
        defer { ECDSA_SIG_free(sig) }
        var out: [UInt8] = []
        for component in [ECDSA_SIG_get0_r(sig), ECDSA_SIG_get0_s(sig)] {
            let padded = Bytes.fill(capacity: componentSize) { buffer in
                Int(BN_bn2binpad(component, buffer, Int32(componentSize)))
            }
            guard let padded, padded.count == componentSize else { throw OpenSSLError("BN_bn2binpad") }
            out += padded
        }
        return out
    }
}
