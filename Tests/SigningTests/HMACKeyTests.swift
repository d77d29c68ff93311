import Dispatch
import Signing
import Synchronization
import Testing

/// `HMACKey` (keyed once, duplicated per message) gives exactly `HMAC.sha256`, from any number of threads at once.
@Suite struct HMACKeyTests {
    static func bytes(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ 3) }
    }

    @Test func matchesTheOneShotHMACForKeysAndMessagesOfEverySize() throws {
        for keyLength in [1, 16, 31, 32, 63, 64, 65, 100, 200] {
            let key = Self.bytes(keyLength, seed: keyLength)
            let hmac = try #require(HMACKey(sha256Key: key))
            for messageLength in [0, 1, 55, 56, 63, 64, 65, 119, 120, 773, 4096] {
                let message = Self.bytes(messageLength, seed: messageLength + 1)
                let code = hmac.authenticationCode(of: message)
                #expect(code.count == 32)
                #expect(code == HMAC.sha256(key: key, message: message), "key \(keyLength), message \(messageLength)")
            }
        }
    }

    /// RFC 4231, test case 2.
    @Test func computesTheRFC4231Vector() throws {
        let hmac = try #require(HMACKey(sha256Key: Array("Jefe".utf8)))
        #expect(
            Hex.encode(hmac.authenticationCode(of: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func sharedAcrossThreadsEachCallIsIndependent() throws {
        let key = Array("whsec_shared_across_threads".utf8)
        let hmac = try #require(HMACKey(sha256Key: key))
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<200 {
                let message = Self.bytes(100 + round, seed: thread)
                if hmac.authenticationCode(of: message) != HMAC.sha256(key: key, message: message) {
                    mismatches.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }
}
