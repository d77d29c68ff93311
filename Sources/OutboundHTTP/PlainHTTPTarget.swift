#if canImport(Glibc)
    import Glibc
#endif

/// Where a plain `http://` URL points: host, port and the request target, parsed without Foundation.
struct PlainHTTPTarget: Equatable {
    /// The host as given (brackets of an IPv6 literal removed), for name resolution.
    let host: String
    let port: Int
    /// The `Host` header: the authority as written in the URL.
    let hostHeader: String
    /// The path and query, `/` when the URL has none; the fragment is dropped.
    let pathAndQuery: String
    /// The idle-pool key, `host:port`.
    let key: String

    /// Parses `http://host[:port][/path][?query]`; nil for other schemes, user info, bad ports or blanks.
    ///
    /// Works on the UTF-8 bytes: every delimiter is ASCII, and this runs for each outbound call.
    init?(_ url: String) {
        let bytes = Array(url.utf8)
        let scheme = Array("http://".utf8)
        guard bytes.count > scheme.count,
            zip(bytes, scheme).allSatisfy({ byte, expected in PlainHTTPTarget.asciiLowercased(byte) == expected }),
            !bytes.contains(where: { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A || $0 == 0x09 })
        else { return nil }
        let end = bytes.firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        let start = scheme.count
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
        var port = 80
        if !portText.isEmpty {
            guard let parsed = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(parsed) else {
                return nil
            }
            port = parsed
        }
        guard !hostPart.isEmpty else { return nil }
        let target = bytes[authorityEnd..<end]
        let host = String(decoding: hostPart, as: UTF8.self)
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
        self.key = host + ":" + String(port)
    }

    /// True when the host is a loopback address: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`.
    var isLoopback: Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
    }

    /// An ASCII letter in lower case; every other byte unchanged.
    static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
