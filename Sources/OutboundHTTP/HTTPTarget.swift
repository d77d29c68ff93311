/// Where an `http://` or `https://` URL points: scheme, host, port and the request target, parsed without
/// Foundation.
struct HTTPTarget: Equatable {
    /// True for `https://`: the connection carries TLS.
    let isSecure: Bool
    /// The host as given (brackets of an IPv6 literal removed), for name resolution.
    let host: String
    let port: Int
    /// The `Host` header: the authority as written in the URL.
    let hostHeader: String
    /// The path and query, `/` when the URL has none; the fragment is dropped.
    let pathAndQuery: String
    /// The idle-pool key, `http://host:port` or `https://host:port`: a plain and a TLS connection never mix.
    let key: String

    /// Parses `http[s]://host[:port][/path][?query]`; nil for other schemes, user info, bad ports or blanks.
    ///
    /// Works on the UTF-8 bytes: every delimiter is ASCII.
    init?(_ url: String) {
        let bytes = Array(url.utf8)
        guard let schemeLength = HTTPTarget.schemeLength(bytes),
            bytes.count > schemeLength,
            !bytes.contains(where: { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A || $0 == 0x09 })
        else { return nil }
        let isSecure = schemeLength == 8
        let end = bytes.firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        let start = schemeLength
        let authorityEnd =
            bytes[start..<end].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? end
        let authority = bytes[start..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")) else { return nil }
        var hostPart = authority
        var portText: ArraySlice<UInt8> = []
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostPart = bytes[(authority.startIndex + 1)..<close]
            let after = bytes[(close + 1)..<authorityEnd]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: UInt8(ascii: ":")) {
            hostPart = bytes[authority.startIndex..<colon]
            portText = bytes[(colon + 1)..<authorityEnd]
        }
        var port = isSecure ? 443 : 80
        if !portText.isEmpty {
            guard let parsed = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(parsed) else {
                return nil
            }
            port = parsed
        }
        guard !hostPart.isEmpty else { return nil }
        let target = bytes[authorityEnd..<end]
        let host = String(decoding: hostPart, as: UTF8.self)
        self.isSecure = isSecure
        self.host = host
        self.port = port
        self.hostHeader = String(decoding: authority, as: UTF8.self)
        if target.isEmpty {
            self.pathAndQuery = "/"
        } else if target.first == UInt8(ascii: "?") {
            self.pathAndQuery = "/" + String(decoding: target, as: UTF8.self)
        } else {
            self.pathAndQuery = String(decoding: target, as: UTF8.self)
        }
        self.key = (isSecure ? "https://" : "http://") + host + ":" + String(port)
    }

    /// The length of a leading `http://` (7) or `https://` (8), in any case; nil for any other start.
    static func schemeLength<Bytes: Collection<UInt8>>(_ url: Bytes) -> Int? {
        for scheme in ["https://", "http://"] {
            if url.count >= scheme.utf8.count
                && zip(url, scheme.utf8).allSatisfy({ byte, expected in asciiLowercased(byte) == expected })
            {
                return scheme.utf8.count
            }
        }
        return nil
    }

    /// An ASCII letter in lower case; every other byte unchanged.
    static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
