import Foundation
import Glibc
import Logging

/// A listening socket on 127.0.0.1 with one accept thread and one thread per connection.
final class HTTPServer: Sendable {
    let name: String
    let port: Int
    private let listener: Int32
    private let service: any SandboxService
    private let logger: Logger

    /// Binds and listens at once so a busy port fails at start-up, not later; port 0 picks a free port (tests).
    init(name: String, host: String = "127.0.0.1", port: Int, service: any SandboxService, logger: Logger)
        throws(SandboxError)
    {
        guard (0...65535).contains(port) else { throw SandboxError("\(name): port \(port) is out of range") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("\(name): socket() failed: \(SocketIO.errorText())") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw SandboxError("\(name): invalid listen address \(host)")
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let reason = SocketIO.errorText()
            close(fd)
            throw SandboxError("\(name): cannot bind \(host):\(port): \(reason)")
        }
        guard listen(fd, 1024) == 0 else {
            let reason = SocketIO.errorText()
            close(fd)
            throw SandboxError("\(name): listen failed: \(reason)")
        }
        var boundAddress = sockaddr_in()
        var boundLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &boundAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
        }
        self.name = name
        self.port = Int(UInt16(bigEndian: boundAddress.sin_port))
        self.listener = fd
        self.service = service
        self.logger = logger
    }

    /// Starts the accept thread.
    func start() {
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "accept-\(name)"
        thread.start()
    }

    /// Stops accepting; connections in flight finish on their own threads.
    func stop() {
        _ = shutdown(listener, Int32(SHUT_RDWR))
        _ = close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                switch errno {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger.warning("\(name): accept failed: \(SocketIO.errorText())")
                    SocketIO.sleep(milliseconds: 50)
                    continue
                default: return
                }
            }
            SocketIO.setNoDelay(client)
            SocketIO.setTimeouts(client, seconds: 120)
            let service = self.service
            let logger = self.logger
            let name = self.name
            let thread = Thread {
                HTTPConnection(fd: client, service: service, logger: logger, serverName: name).run()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
