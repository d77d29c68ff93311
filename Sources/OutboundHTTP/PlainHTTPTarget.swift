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
    var key: String { "\(host):\(port)" }

    /// Parses `http://host[:port][/path][?query]`; nil for other schemes, user info, bad ports or spaces.
    init?(_ url: String) {
        guard url.utf8.count > 7, url.prefix(7).lowercased() == "http://" else { return nil }
        var rest = url.dropFirst(7)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        guard !authority.isEmpty, !authority.contains("@"),
            !url.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "\t" })
        else { return nil }
        var hostPart = authority
        var portText: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        var port = 80
        if !portText.isEmpty {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else { return nil }
            port = parsed
        }
        guard !hostPart.isEmpty else { return nil }
        self.host = String(hostPart)
        self.port = port
        self.hostHeader = String(authority)
        self.pathAndQuery = target
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
}
