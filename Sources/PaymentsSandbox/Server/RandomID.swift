/// Random object ids in the style of the emulated provider (`pi_3Nx…`, hex key ids).
enum RandomID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `prefix` + `length` random alphanumerics.
    static func make(_ prefix: String, length: Int = 24) -> String {
        var bytes = Array(prefix.utf8)
        for _ in 0..<length { bytes.append(alphabet[Int.random(in: 0..<alphabet.count)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` random lowercase hex digits.
    static func hex(_ count: Int) -> String {
        String(decoding: (0..<count).map { _ in hexDigits[Int.random(in: 0..<16)] }, as: UTF8.self)
    }
}
