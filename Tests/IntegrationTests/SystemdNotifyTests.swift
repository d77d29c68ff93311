import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension Integration {
    /// `payments-fcgi` under a `Type=notify` unit with `WatchdogSec=`: READY=1 once it serves, WATCHDOG=1 every half
    /// period, STOPPING=1 at SIGTERM, sent to the datagram socket systemd names in NOTIFY_SOCKET (here the test's own).
    @Suite("systemd readiness and watchdog")
    struct SystemdNotifyTests {
        /// A bound unix datagram socket standing in for systemd's notification socket.
        final class NotifySocket {
            let path: String
            let descriptor: Int32

            init() throws {
                path =
                    FileManager.default.temporaryDirectory.appendingPathComponent("itest-notify-\(TestIDs.random(8))")
                    .path
                descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                let bytes = Array(path.utf8)
                withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
                let bound = withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
                try #require(descriptor >= 0 && bound == 0, "cannot bind \(path)")
            }

            deinit {
                close(descriptor)
                unlink(path)
            }

            /// The datagrams received within `seconds`.
            func messages(for seconds: Double) -> [String] {
                var result: [String] = []
                let deadline = Date().addingTimeInterval(seconds)
                while Date() < deadline {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
                    guard poll(&poller, 1, left) > 0 else { continue }
                    var buffer = [UInt8](repeating: 0, count: 512)
                    let count = recv(descriptor, &buffer, buffer.count, 0)
                    if count > 0 { result.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
                }
                return result
            }
        }

        @Test("READY=1 once serving, WATCHDOG=1 every half WatchdogSec, STOPPING=1 at SIGTERM")
        func readinessAndWatchdog() throws {
            let stack = try Stack.connect()
            let notify = try NotifySocket()
            let responder = try ExtraResponder.start(
                stack, workers: 2, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
            defer { responder.discard() }
            let first = notify.messages(for: 2.5)
            let ready = try #require(first.first, "no notification at all")
            #expect(
                ready.hasPrefix("READY=1\n") && ready.contains("STATUS=serving with 6 workers on 2 connections"),
                "\(first)")
            let pings = first.filter { $0 == "WATCHDOG=1" }.count
            #expect(pings >= 3, "watchdog pings in 2.5 s at WATCHDOG_USEC=1 s: \(first)")
            #expect(responder.isHealthy)

            kill(responder.process.pid, SIGTERM)
            let last = notify.messages(for: 3)
            #expect(last.contains("STOPPING=1"), "\(last)")
        }

        @Test(
            "without NOTIFY_SOCKET nothing is sent and it serves as before; WATCHDOG_PID of another process is ignored")
        func outsideSystemd() throws {
            let stack = try Stack.connect()
            let notify = try NotifySocket()
            let responder = try ExtraResponder.start(
                stack, workers: 1,
                environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
            defer { responder.discard() }
            let messages = notify.messages(for: 2)
            #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
            #expect(!messages.contains("WATCHDOG=1"), "pings for a watchdog of another process: \(messages)")
        }
    }
}
