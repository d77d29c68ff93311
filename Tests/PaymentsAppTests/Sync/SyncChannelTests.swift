import Foundation
import Testing

@testable import PaymentsApp

@Suite("SyncChannel")
struct SyncChannelTests {
    @Test("FIFO order; take returns nil once closed and drained; put after close is refused")
    func order() {
        let channel = SyncChannel<Int>(capacity: 10)
        for value in 1...5 { #expect(channel.put(value)) }
        #expect(channel.count == 5)
        #expect(channel.take() == 1)
        channel.close()
        #expect(!channel.put(9))
        #expect([channel.take(), channel.take(), channel.take(), channel.take()] == [2, 3, 4, 5])
        #expect(channel.take() == nil)
    }

    @Test("a full channel makes put wait until a consumer takes")
    func boundedHandOff() {
        let channel = SyncChannel<Int>(capacity: 2)
        let done = DispatchSemaphore(value: 0)
        let producer = Thread {
            for value in 0..<100 { channel.put(value) }
            channel.close()
            done.signal()
        }
        producer.start()
        var received: [Int] = []
        while let value = channel.take() {
            #expect(channel.count <= 2)
            received.append(value)
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(received == Array(0..<100))
    }
}
