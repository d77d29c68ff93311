import Signing
import Testing

@Suite struct AESTests {
    /// NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), first two blocks; PKCS#7 then adds one whole block of padding.
    static let key = Hex.decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4") ?? []
    static let iv = Hex.decode("000102030405060708090a0b0c0d0e0f") ?? []
    static let plaintext = Hex.decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51") ?? []

    @Test func nistVectorWithPadding() throws {
        let sealed = try AES.encrypt256CBC(Self.plaintext, key: Self.key, iv: Self.iv)
        #expect(
            Hex.encode(sealed)
                == "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d3a3aa5e0213db1a9901f9036cf5102d2")
        #expect(try AES.decrypt256CBC(sealed, key: Self.key, iv: Self.iv) == Self.plaintext)
    }

    @Test func roundTripsOddLengthsAndEmptyInput() throws {
        for length in [0, 1, 15, 16, 17, 100] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let sealed = try AES.encrypt256CBC(message, key: Self.key, iv: Self.iv)
            #expect(sealed.count == (length / 16 + 1) * 16)
            #expect(try AES.decrypt256CBC(sealed, key: Self.key, iv: Self.iv) == message)
        }
    }

    @Test func refusesWrongKeyAndIVLengths() {
        #expect(throws: OpenSSLError.self) {
            try AES.encrypt256CBC([1], key: [UInt8](repeating: 1, count: 16), iv: Self.iv)
        }
        #expect(throws: OpenSSLError.self) { try AES.encrypt256CBC([1], key: Self.key, iv: [0]) }
    }

    @Test func refusesPartialBlocksAndBadPadding() throws {
        #expect(throws: OpenSSLError.self) { try AES.decrypt256CBC([1, 2, 3], key: Self.key, iv: Self.iv) }
        var sealed = try AES.encrypt256CBC(Self.plaintext, key: Self.key, iv: Self.iv)
        // Flipping the last byte of the block before the padding block corrupts the padding byte (0x10 → 0x11).
        sealed[sealed.count - 17] ^= 0x01
        #expect(throws: OpenSSLError.self) { try AES.decrypt256CBC(sealed, key: Self.key, iv: Self.iv) }
    }
}
