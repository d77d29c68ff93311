import Signing

/// A compact JWS (`header.payload.signature`, RFC 7515 §7.1), parsed but not yet trusted.
///
/// Parsing only splits and decodes; the caller picks the key from the header and checks `signature` over
/// `signingInput` itself, so no code path can accept a token whose `alg` it did not choose.
public struct JSONWebToken: Sendable {
    /// The protected header (`alg`, `kid`, `typ`, `x5c`, …).
    public let header: JSONValue
    /// The claims.
    public let payload: JSONValue
    /// The ASCII bytes `base64url(header) "." base64url(payload)` exactly as received, which the signature covers.
    public let signingInput: [UInt8]
    /// The decoded signature bytes (raw `r || s` for ES256).
    public let signature: [UInt8]

    /// Splits and decodes a compact token.
    ///
    /// - Throws: `APIError` 401 `UnauthorizedException` unless there are exactly three unpadded base64url parts whose
    ///   first two decode to JSON objects; the message never repeats the token.
    public static func parse(_ compact: String) throws(APIError) -> JSONWebToken {
        guard !compact.contains("=") else { throw malformed }
        let parts = compact.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { throw malformed }
        guard let headerBytes = Base64.urlDecode(String(parts[0])),
            let payloadBytes = Base64.urlDecode(String(parts[1])),
            let signature = Base64.urlDecode(String(parts[2]))
        else { throw malformed }
        guard let header = try? JSONValue.parse(headerBytes), case .object = header,
            let payload = try? JSONValue.parse(payloadBytes), case .object = payload
        else { throw malformed }
        let signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        return JSONWebToken(header: header, payload: payload, signingInput: signingInput, signature: signature)
    }

    /// Produces a compact token: the sandbox mints Firebase ID tokens with it, and gateways sign their
    /// service-account and App Store API assertions.
    ///
    /// The header is serialised as given, so it should already carry the matching `alg` (`RS256` or `ES256`).
    /// - Throws: `OpenSSLError` when the key does not fit `algorithm` or signing fails.
    public static func sign(
        header: JSONValue, payload: JSONValue, key: PrivateKey, algorithm: SignatureAlgorithm
    ) throws -> String {
        let input =
            Base64.urlEncode(Array(header.serialized().utf8)) + "." + Base64.urlEncode(Array(payload.serialized().utf8))
        let signature = try key.sign(Array(input.utf8), algorithm: algorithm)
        return input + "." + Base64.urlEncode(signature)
    }

    private static var malformed: APIError { APIError(.unauthorized, "malformed token") }
}
