import Dispatch
import PaymentsCore

#if canImport(Glibc)
    import Glibc
#endif

/// Turns a URL's host into socket addresses without letting a slow DNS server hold the caller past its deadline.
///
/// Why: `getaddrinfo` blocks for as long as the system resolver's own timeouts say (`resolv.conf`: 5 s per try and
/// server by default), and glibc offers no way to cancel it. A numeric address is resolved in place; a name is looked
/// up on a thread of its own while the caller waits at most until its deadline (as libcurl's threaded resolver did
/// for URLSession). A lookup given up on finishes in the background, and its answer is dropped. Its own thread, not
/// a Dispatch worker: lookups stuck on a dead DNS server must not starve each other or anything else of a shared pool.
/// Only a new connection resolves: pooled keep-alive connections skip it.
enum HostResolver {
    /// One address to connect to: `sockaddr` bytes and the socket family.
    struct Address {
        let family: Int32
        let bytes: [UInt8]
    }

    /// A lookup: the addresses of `host`, port `port`, or nil when the name does not resolve. Tests pass a slow one.
    typealias Lookup = @Sendable (_ host: String, _ port: Int) -> [Address]?

    /// The addresses of `host:port`, in the resolver's order.
    /// - Throws: `HTTPTransportError(.connection)` when the name does not resolve, `.timeout` at `deadline`.
    static func addresses(
        host: String, port: Int, deadline: Double, lookup: @escaping Lookup = HostResolver.lookup
    ) throws(HTTPTransportError) -> [Address] {
        if let numeric = numericAddresses(host: host, port: port) { return numeric }
        let answer = Answer()
        guard startThread({ answer.set(lookup(host, port)) }) else {
            throw HTTPTransportError(.connection, "no thread for the host name lookup")
        }
        let left = deadline - HTTPConnection.now()
        guard left > 0, answer.ready.wait(timeout: .now() + left) == .success else {
            throw HTTPTransportError(.timeout, "the host name was not resolved in time")
        }
        guard let addresses = answer.value, !addresses.isEmpty else {
            throw HTTPTransportError(.connection, "host not resolved")
        }
        return addresses
    }

    /// `getaddrinfo` for a stream socket.
    @Sendable static func lookup(host: String, port: Int) -> [Address]? {
        resolve(host: host, port: port, flags: 0)
    }

    /// An IP literal's address, found without any lookup; nil for a name.
    static func numericAddresses(host: String, port: Int) -> [Address]? {
        resolve(host: host, port: port, flags: AI_NUMERICHOST)
    }

    private static func resolve(host: String, port: Int, flags: Int32) -> [Address]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = flags
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0 else { return nil }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            guard let address = entry.pointee.ai_addr else { continue }
            let bytes = UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen))
            addresses.append(Address(family: entry.pointee.ai_family, bytes: Array(bytes)))
        }
        return addresses
    }

    /// Runs `body` on a new detached thread; false when none could be started.
    private static func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Work {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // getaddrinfo needs little stack; 256 KiB instead of the default 8 MiB reservation.
        pthread_attr_setstacksize(&attributes, 256 * 1024)
        // The thread takes over the retained reference and releases it when the work is done.
        let context = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread, &attributes,
            { raw in
                if let raw { Unmanaged<Work>.fromOpaque(raw).takeRetainedValue().body() }
                return nil
            }, context)
        if started != 0 { Unmanaged<Work>.fromOpaque(context).release() }
        return started == 0
    }

    /// Where the lookup thread leaves its answer; the caller reads it only after `ready` was signalled.
    private final class Answer: @unchecked Sendable {
        let ready = DispatchSemaphore(value: 0)
        private(set) var value: [Address]?

        func set(_ value: [Address]?) {
            self.value = value
            ready.signal()
        }
    }
}
