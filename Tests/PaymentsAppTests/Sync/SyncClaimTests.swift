import PaymentsApp
import PaymentsCore
import PaymentsStore
import Testing

@Suite("Sync claims: a push starts only under a live lease (DESIGN §7)")
struct SyncClaimTests {
    let start = ContinuousClock.now

    func row(claim: PushClaim?) -> SyncRow {
        SyncRow(
            id: 1, paymentID: "pi_1", uid: "u", gateway: "stripe", amount: Money(cents: 500), attempts: 0, claim: claim)
    }

    @Test("a 60 s lease with a 10 s call timeout: pushes start until 10 s before it ends, never after")
    func leaseWithTimeout() {
        let claimed = row(claim: PushClaim.begin(now: start))
        #expect(SyncPusher.mayPush(claimed, timeoutSeconds: 10, now: start))
        #expect(SyncPusher.mayPush(claimed, timeoutSeconds: 10, now: start + .seconds(49)))
        #expect(!SyncPusher.mayPush(claimed, timeoutSeconds: 10, now: start + .seconds(50)))
        #expect(!SyncPusher.mayPush(claimed, timeoutSeconds: 10, now: start + .seconds(61)))
        #expect(!SyncPusher.mayPush(claimed, timeoutSeconds: 10, now: start + .seconds(3600)))
    }

    @Test("a long call timeout asks for at most a third of the lease")
    func longTimeout() {
        #expect(SyncPusher.leaseMargin(timeoutSeconds: 300) == .seconds(20))
        #expect(SyncPusher.leaseMargin(timeoutSeconds: 7) == .seconds(7))
        let claimed = row(claim: PushClaim.begin(now: start))
        #expect(SyncPusher.mayPush(claimed, timeoutSeconds: 300, now: start + .seconds(39)))
        #expect(!SyncPusher.mayPush(claimed, timeoutSeconds: 300, now: start + .seconds(40)))
    }

    @Test("a row without a claim (listed, never claimed) is never pushed; every claim has its own token")
    func unclaimedAndTokens() {
        #expect(!SyncPusher.mayPush(row(claim: nil), timeoutSeconds: 10, now: start))
        let tokens = Set((0..<100).map { _ in PushClaim.begin().token })
        #expect(tokens.count == 100)
        #expect(tokens.allSatisfy { $0 > 0 })
    }
}
