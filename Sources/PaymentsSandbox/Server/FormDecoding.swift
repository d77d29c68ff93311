import PaymentsCore

/// Form and query-string parsing that tolerates any input (PaymentsCore's `FormEncoding` does the escaping rules).
enum FormDecoding {
    /// Parses `a=1&b=2` into ordered, decoded pairs; empty items are skipped.
    static func parse(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { item in
            guard !item.isEmpty else { return nil }
            if let equals = item.firstIndex(of: "=") {
                return (
                    FormEncoding.decode(String(item[..<equals])),
                    FormEncoding.decode(String(item[item.index(after: equals)...]))
                )
            }
            return (FormEncoding.decode(String(item)), "")
        }
    }

    /// Parses a body as a form.
    static func parse(_ body: [UInt8]) -> [(String, String)] {
        parse(String(decoding: body, as: UTF8.self))
    }
}
