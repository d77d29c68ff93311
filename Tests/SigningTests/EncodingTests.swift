import Signing
import Testing

@Suite struct EncodingTests {
    @Test func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func hexRoundTrip() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "00017f80abff")
        #expect(Hex.decode("00017f80abff") == bytes)
        #expect(Hex.decode("00017F80ABFF") == bytes)
        #expect(Hex.decode("") == [])
    }

    @Test(arguments: ["abc", "0g", "zz", " 0", "0x00"])
    func hexRejectsInvalid(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    /// RFC 4648 §10 test vectors.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64RFC4648(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
        // Missing padding is tolerated.
        #expect(Base64.decode(String(encoded.prefix { $0 != "=" })) == Array(plain.utf8))
    }

    @Test func base64URLUsesItsAlphabetWithoutPadding() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x3e]
        #expect(Base64.encode(bytes) == "+/+/Pg==")
        #expect(Base64.urlEncode(bytes) == "-_-_Pg")
        #expect(Base64.urlDecode("-_-_Pg") == bytes)
        #expect(Base64.urlDecode("-_-_Pg==") == bytes)
        #expect(Base64.urlDecode("+/+/Pg") == nil)
        #expect(Base64.decode("-_-_Pg==") == nil)
    }

    @Test func base64RoundTripsEveryLength() {
        for length in 0..<40 {
            let bytes = SecureRandom.bytes(length)
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.urlDecode(Base64.urlEncode(bytes)) == bytes)
        }
    }

    @Test(arguments: ["Z", "Zg=", "Zg===", "Zm9v\n", "Zm 9v", "Zm9v!", "Zh==", "=Zm9"])
    func base64RejectsInvalid(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func randomBytesAndUUID() {
        #expect(SecureRandom.bytes(32).count == 32)
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
        let uuid = SecureRandom.uuidV4()
        let groups = uuid.split(separator: "-", omittingEmptySubsequences: false)
        #expect(groups.map(\.count) == [8, 4, 4, 4, 12])
        #expect(groups[2].first == "4")
        #expect(["8", "9", "a", "b"].contains(groups[3].first))
        #expect(uuid == uuid.lowercased())
        #expect(Hex.decode(String(uuid.filter { $0 != "-" })) != nil)
    }
}
