/// Where an `http://` or `https://` URL leads: its origin and the byte range of its request target within the URL.
struct HTTPRoute {
    let origin: HTTPOrigin
    /// The path and query as written (the fragment excluded); empty when the URL has no path.
    let target: Range<Int>
    /// True when the request target needs a leading `/` (no path: empty, or a query right after the authority).
    let slashFirst: Bool

    /// The URL's parts that each request checks on its own, before its authority is looked up: `http://` or
    /// `https://` (any case), no space, tab, CR or LF anywhere, the fragment dropped; nil when they fail
    /// (`HTTPTarget`'s rules, which check the authority itself). `origin` is the scheme and authority as written,
    /// so a plain and a TLS origin on the same `host:port` never match each other.
    static func split(_ url: UnsafeBufferPointer<UInt8>) -> (origin: Range<Int>, target: Range<Int>)? {
        guard let schemeCount = HTTPTarget.schemeLength(url), url.count > schemeCount else { return nil }
        var end = url.count
        var authorityEnd: Int?
        for index in schemeCount..<url.count {
            let byte = url[index]
            if byte == 0x20 || byte == 0x0D || byte == 0x0A || byte == 0x09 { return nil }
            if index < end {
                if byte == UInt8(ascii: "#") {
                    end = index
                } else if authorityEnd == nil && (byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?")) {
                    authorityEnd = index
                }
            }
        }
        let authorityStop = min(authorityEnd ?? end, end)
        return (0..<authorityStop, authorityStop..<end)
    }

    /// The request target as text (tests compare it with `HTTPTarget.pathAndQuery`).
    func pathAndQuery(in url: String) -> String {
        var url = url
        let path = url.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[target]), as: UTF8.self) }
        return slashFirst ? "/" + path : path
    }
}
