/// Where a plain `http://` URL leads: its origin and the byte range of its request target within the URL.
struct PlainHTTPRoute {
    let origin: PlainHTTPOrigin
    /// The path and query as written (the fragment excluded); empty when the URL has no path.
    let target: Range<Int>
    /// True when the request target needs a leading `/` (no path: empty, or a query right after the authority).
    let slashFirst: Bool

    /// The URL's parts that each request checks on its own, before its authority is looked up: `http://`
    /// (any case), no space, tab, CR or LF anywhere, the fragment dropped; nil when they fail
    /// (`PlainHTTPTarget`'s rules, which check the authority itself).
    static func split(_ url: UnsafeBufferPointer<UInt8>) -> (authority: Range<Int>, target: Range<Int>)? {
        let scheme: StaticString = "http://"
        let schemeCount = scheme.utf8CodeUnitCount
        guard url.count > schemeCount else { return nil }
        for offset in 0..<schemeCount
        where PlainHTTPTarget.asciiLowercased(url[offset]) != scheme.utf8Start[offset] {
            return nil
        }
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
        return (schemeCount..<authorityStop, authorityStop..<end)
    }

    /// The request target as text (tests compare it with `PlainHTTPTarget.pathAndQuery`).
    func pathAndQuery(in url: String) -> String {
        var url = url
        let path = url.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[target]), as: UTF8.self) }
        return slashFirst ? "/" + path : path
    }
}
