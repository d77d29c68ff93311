import Foundation
import Signing
import Testing

/// A real PayPal-signed sandbox webhook (PayPal-Java-SDK `ValidateCertTest`); see `Fixtures/paypal/README.md`.
@Suite struct PayPalVectorTests {
    static let transmissionSignature =
        "K7DF5+hOyGS6v0xTZ9PkEO+BFNQmpryxw2hFlXbHgmxpu+883ldEC9HcL6ccEmB8sfy80y/Q3qcZZL1MR8Qi0e1ysylVj/yROgKK6zBsQPo"
        + "NmgXC8yTiNoAjULuhk5Aoau0Itk3nrkgAfji1zvADlErMFM9VZe2nDvhM3nDMLjCi/K5fRjWp3eGo6Nx17GX/WIEibeKDyS+YdJMex3i+"
        + "KO4aWmm9zznC/FJ5Y/ntd0MxOJNrM0r0f3y7c3e3sO5pB3oPgN6KzKVS5P6AWHqtS8acD3DjgCKZ1uqKz7q954G1aBz2/m0wRGOFFsv0/"
        + "D3FE2uIheRRmoQtVSOAX7Aupg=="

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/paypal/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static func message(webhookID: String, crc: UInt32) -> [UInt8] {
        Array("afa30d40-ca4a-11e9-ab68-7d4e2605c70c|2019-08-29T10:49:33Z|\(webhookID)|\(crc)".utf8)
    }

    @Test func crcOfBody() throws {
        let body = try Self.fixture("webhook-body.json")
        #expect(body.count == 3241)
        #expect(CRC32.checksum(body) == 3_674_300_368)
    }

    @Test func signatureVerifiesWithCertificateKey() throws {
        let certificate = try Certificate(pem: String(decoding: try Self.fixture("clientCertTest.crt"), as: UTF8.self))
        #expect(certificate.subjectCommonName == "messageverificationcerts.sandbox.paypal.com")
        #expect(certificate.notAfter == 1_621_857_600)  // 2021-05-24T12:00:00Z
        let signature = try #require(Base64.decode(Self.transmissionSignature))
        let body = try Self.fixture("webhook-body.json")
        let key = try certificate.publicKey
        let good = Self.message(webhookID: "0FV983392A0531201", crc: CRC32.checksum(body))
        #expect(key.verify(signature: signature, message: good, algorithm: .rsaPKCS1SHA256))
        // Wrong webhook id, altered body: both fail.
        let wrongID = Self.message(webhookID: "NotToBeFound", crc: CRC32.checksum(body))
        #expect(!key.verify(signature: signature, message: wrongID, algorithm: .rsaPKCS1SHA256))
        let altered = Self.message(webhookID: "0FV983392A0531201", crc: CRC32.checksum(body + [0x20]))
        #expect(!key.verify(signature: signature, message: altered, algorithm: .rsaPKCS1SHA256))
    }
}
