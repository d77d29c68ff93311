import FastCGI
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the server thread of a test saw, handed back to the test.
final class ServerObservation: Sendable {
    struct Seen {
        var accepted: Bool?
        var parameters: [String: String] = [:]
        /// Every parameter in order, and those `FastCGIRequestTests.filter` keeps.
        var ordered: [String] = []
        var kept: [String] = []
        var body: [UInt8] = []
        var error: String?
    }
    let seen = Mutex(Seen())
    let done = DispatchSemaphore(value: 0)
}

/// One server thread answering requests in turn until shutdown (`FastCGIRequestTests.serveUntilShutdown`).
final class SequentialServer: Sendable {
    struct Served {
        /// Whether the request came on a connection kept from an earlier one.
        var kept: Bool
        /// The body the handler read (none unless the request asked with `READ_BODY=1`).
        var body: String
    }
    let served = Mutex<[Served]>([])
    let done = DispatchSemaphore(value: 0)
}

@Suite(.serialized)
struct FastCGIRequestTests {
    static let filter = FastCGIParameterFilter(names: ["REQUEST_METHOD", "CONTENT_LENGTH"], prefixes: ["HTTP_"])

    private static func temporarySocketPath() -> String {
        NSTemporaryDirectory() + "fcgi-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    /// Runs one accept → read → respond → finish cycle on its own thread.
    private static func serveOnce(
        _ listener: FastCGIListener, observation: ServerObservation, status: Int, headers: [(String, String)]
    ) {
        let thread = Thread {
            defer { observation.done.signal() }
            do {
                let request = try FastCGIRequest(listener: listener)
                let accepted = try request.accept()
                observation.seen.withLock { $0.accepted = accepted }
                guard accepted else { return }
                var parameters: [String: String] = [:]
                let all = request.parameters()
                for (name, value) in all { parameters[name] = value }
                let kept = request.parameters(keeping: FastCGIRequestTests.filter).map { $0.name + "=" + $0.value }
                let length = Int(request.parameter("CONTENT_LENGTH") ?? "0") ?? 0
                let body = try request.readBody(length: length)
                observation.seen.withLock {
                    $0.parameters = parameters
                    $0.ordered = all.map { $0.name + "=" + $0.value }
                    $0.kept = kept
                    $0.body = body
                }
                try request.respond(status: status, headers: headers, body: Array(body.reversed()))
                request.finish()
            } catch {
                observation.seen.withLock { $0.error = "\(error)" }
            }
        }
        thread.start()
    }

    @Test func roundTripIsByteExact() throws {
        try FastCGILibrary.initialize()
        let path = Self.temporarySocketPath()
        let listener = try FastCGIListener.bind(path: path, mode: 0o660)
        defer { listener.close() }
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o660)

        let observation = ServerObservation()
        Self.serveOnce(
            listener, observation: observation, status: 413,
            headers: [("Content-Type", "application/octet-stream"), ("X-Split", "a\r\nInjected: yes")])
        var body: [UInt8] = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        body += [0, 13, 10, 13, 10, 0xFF]
        let params = [
            ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/api/stripe-handleWebhookEvents"),
            ("CONTENT_LENGTH", "\(body.count)"),
            ("HTTP_STRIPE_SIGNATURE", "t=1,v1=" + String(repeating: "a", count: 300)),
            ("SERVER_SOFTWARE", "nginx"), ("HTTP_", "bare prefix"), ("REQUEST_METHODX", "longer"), ("HTTP_A", "a=b"),
        ]
        let answer = try FastCGITestClient.send(socketPath: path, params: params, body: body)
        #expect(observation.done.wait(timeout: .now() + 10) == .success)

        let seen = observation.seen.withLock { $0 }
        #expect(seen.error == nil)
        #expect(seen.accepted == true)
        #expect(seen.parameters["REQUEST_METHOD"] == "POST")
        #expect(seen.parameters["HTTP_STRIPE_SIGNATURE"]?.count == 307)
        #expect(seen.body == body)
        #expect(answer.ended)
        // The filtered read is the full read with the other names left out, order and values unchanged.
        #expect(seen.ordered.count > seen.kept.count)  // libfcgi adds FCGI_ROLE to what was sent
        #expect(seen.kept == seen.ordered.filter { Self.filter.keeps(String($0.prefix { $0 != "=" })) })
        #expect(
            seen.kept == [
                "REQUEST_METHOD=POST", "CONTENT_LENGTH=\(body.count)",
                "HTTP_STRIPE_SIGNATURE=t=1,v1=" + String(repeating: "a", count: 300), "HTTP_A=a=b",
            ])

        let separator: [UInt8] = [13, 10, 13, 10]
        let split = try #require(
            (0...(answer.stdout.count - 4)).first { Array(answer.stdout[$0..<$0 + 4]) == separator })
        let head = String(decoding: answer.stdout[..<split], as: UTF8.self)
        #expect(head.hasPrefix("Status: 413 Content Too Large\r\n"))
        #expect(head.contains("X-Split: aInjected: yes"))
        #expect(head.contains("Content-Length: \(body.count)"))
        #expect(Array(answer.stdout[(split + 4)...]) == Array(body.reversed()))
    }

    @Test func shutdownWakesTheWaitingAcceptor() throws {
        try FastCGILibrary.initialize()
        let listener = try FastCGIListener.bind(path: Self.temporarySocketPath(), mode: 0o600)
        defer { listener.close() }
        let observation = ServerObservation()
        Self.serveOnce(listener, observation: observation, status: 200, headers: [])
        usleep(200_000)
        listener.beginShutdown()
        #expect(observation.done.wait(timeout: .now() + 1) == .success)
        let seen = observation.seen.withLock { $0 }
        #expect(seen.accepted == false)
        #expect(seen.error == nil)
        #expect(listener.isShuttingDown)
    }

    /// libfcgi holds a connection that sends nothing for up to 2 s, then closes it. Had shutdown set libfcgi's own flag
    /// meanwhile (as this responder once did, with SIGUSR1 cutting that wait short), its accept loop would go round the
    /// closed descriptor for ever and the responder would never stop. The acceptor must leave once the wait is over.
    @Test func aSilentConnectionAtShutdownDoesNotTrapTheAcceptor() throws {
        try FastCGILibrary.initialize()
        let path = Self.temporarySocketPath()
        let listener = try FastCGIListener.bind(path: path, mode: 0o600)
        defer { listener.close() }
        let observation = ServerObservation()
        Self.serveOnce(listener, observation: observation, status: 200, headers: [])
        let silent = try FastCGITestClient.connect(to: path)
        defer { _ = close(silent) }
        usleep(300_000)  // the acceptor has taken the connection and waits for its first record
        listener.beginShutdown()
        #expect(observation.done.wait(timeout: .now() + 5) == .success)
        let seen = observation.seen.withLock { $0 }
        #expect(seen.accepted == false)
        #expect(seen.error == nil)
    }

    /// Worker threads take turns at the shared socket: concurrent requests are each answered once, by as many threads
    /// as there are requests, and the threads left waiting all leave at shutdown.
    @Test func threadsTakeTurnsAndEachRequestIsServedOnce() throws {
        try FastCGILibrary.initialize()
        let path = Self.temporarySocketPath()
        let listener = try FastCGIListener.bind(path: path, mode: 0o600)
        defer { listener.close() }
        let requests = 8
        let observations = (0..<(requests + 4)).map { _ in ServerObservation() }
        for observation in observations {
            Self.serveOnce(listener, observation: observation, status: 200, headers: [])
        }
        usleep(100_000)
        let answers = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: requests) { index in
            let body = Array("request \(index)".utf8)
            let answer = try? FastCGITestClient.send(
                socketPath: path, params: [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "\(body.count)")],
                body: body)
            let text = answer.map { String(decoding: $0.stdout, as: UTF8.self) } ?? "no answer"
            let echoed = String((text.components(separatedBy: "\r\n\r\n").last ?? text).reversed())
            answers.withLock { $0.append(echoed) }
        }
        #expect(Set(answers.withLock { $0 }) == Set((0..<requests).map { "request \($0)" }))
        listener.beginShutdown()
        for observation in observations {
            #expect(observation.done.wait(timeout: .now() + 5) == .success)
        }
        let served = observations.filter { $0.seen.withLock { $0.accepted } == true }
        #expect(served.count == requests)
        #expect(observations.allSatisfy { $0.seen.withLock { $0.error } == nil })
    }

    /// Serves requests on one thread until shutdown, reading the body only when `READ_BODY=1`; each answer is
    /// "answer N". Returns what it served (whether on a kept connection, and the body it read) and its end.
    private static func serveUntilShutdown(_ listener: FastCGIListener) -> SequentialServer {
        let server = SequentialServer()
        let thread = Thread {
            defer { server.done.signal() }
            guard let request = try? FastCGIRequest(listener: listener) else { return }
            while (try? request.accept()) == true {
                let length = Int(request.parameter("CONTENT_LENGTH") ?? "0") ?? 0
                let body = request.parameter("READ_BODY") == "1" ? ((try? request.readBody(length: length)) ?? []) : []
                let count = server.served.withLock {
                    $0.append(.init(kept: request.isOnKeptConnection, body: String(decoding: body, as: UTF8.self)))
                    return $0.count
                }
                try? request.respond(status: 200, headers: [], body: Array("answer \(count)".utf8))
                request.finish()
            }
        }
        thread.start()
        return server
    }

    /// POSTs `body` on a kept connection to a `serveUntilShutdown` server (which reads it only when `read`); the
    /// answer as text.
    private static func post(_ body: [UInt8], on connection: Int32, read: Bool = false) throws -> String {
        let params = [
            ("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "\(body.count)"), ("READ_BODY", read ? "1" : "0"),
        ]
        let answer = try FastCGITestClient.sendKeeping(on: connection, params: params, body: body)
        return String(decoding: answer, as: UTF8.self)
    }

    /// With FCGI_KEEP_CONN (nginx's `fastcgi_keep_conn on`) the connection outlives its request: the next request on
    /// it is served, a body the handler left unread is read past so that the next request starts at a record
    /// boundary, and shutdown closes the idle connection. An unread body longer than `FastCGIRequest.drainLimit` is
    /// not read past: that connection is closed after its answer. A request without the flag still gets a connection
    /// of its own.
    @Test func aKeptConnectionCarriesTheNextRequestAndShutdownClosesIt() throws {
        try FastCGILibrary.initialize()
        let path = Self.temporarySocketPath()
        let listener = try FastCGIListener.bind(path: path, mode: 0o600)
        defer { listener.close() }
        let server = Self.serveUntilShutdown(listener)

        let connection = try FastCGITestClient.connect(to: path)
        defer { _ = close(connection) }
        // Several records, more than one buffer fill, not read by the handler.
        #expect(try Self.post([UInt8](repeating: 0x41, count: 20_000), on: connection).hasSuffix("answer 1"))
        #expect(!FastCGITestClient.isClosedByServer(connection, within: 0))
        #expect(try Self.post(Array("hello".utf8), on: connection, read: true).hasSuffix("answer 2"))

        let long = try FastCGITestClient.connect(to: path)
        let longBody = [UInt8](repeating: 0x42, count: FastCGIRequest.drainLimit + 30_000)
        #expect(try Self.post(longBody, on: long).hasSuffix("answer 3"))
        #expect(FastCGITestClient.isClosedByServer(long, within: 5))
        _ = close(long)

        // Read to its end by the client, so it is answered and closed only after `connection` was parked.
        let plain = try FastCGITestClient.send(socketPath: path, params: [("REQUEST_METHOD", "GET")], body: [])
        #expect(plain.ended)
        #expect(String(decoding: plain.stdout, as: UTF8.self).hasSuffix("answer 4"))

        listener.beginShutdown()
        #expect(FastCGITestClient.isClosedByServer(connection, within: 5))
        #expect(server.done.wait(timeout: .now() + 5) == .success)
        let served = server.served.withLock { $0 }
        #expect(served.map(\.kept) == [false, true, false, false])
        #expect(served.map(\.body) == ["", "hello", "", ""])
    }

    /// Idle threads wait for work together, not one at a time: a new connection that sends nothing (libfcgi holds
    /// it for up to 2 s waiting for its first record) ties up only the thread that took it, and requests on kept
    /// connections are each taken by exactly one of the other threads meanwhile.
    @Test func idleThreadsWaitTogetherAndEachKeptRequestIsServedOnce() throws {
        try FastCGILibrary.initialize()
        let path = Self.temporarySocketPath()
        let listener = try FastCGIListener.bind(path: path, mode: 0o600)
        defer { listener.close() }
        let servers = (0..<4).map { _ in Self.serveUntilShutdown(listener) }
        usleep(100_000)
        let silent = try FastCGITestClient.connect(to: path)
        defer { _ = close(silent) }
        usleep(100_000)  // one thread has taken it and waits for its first record

        let connections = 3
        let rounds = 5
        let answered = Mutex<[String]>([])
        let started = DispatchTime.now()
        DispatchQueue.concurrentPerform(iterations: connections) { index in
            guard let connection = try? FastCGITestClient.connect(to: path) else { return }
            defer { _ = close(connection) }
            for round in 0..<rounds {
                let answer = (try? Self.post(Array("c\(index) r\(round)".utf8), on: connection, read: true)) ?? ""
                answered.withLock { $0.append(answer) }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        #expect(seconds < 1.5, "the silent connection held up the other threads for \(seconds) s")
        #expect(answered.withLock { $0.filter { $0.contains("answer") }.count } == connections * rounds)

        listener.beginShutdown()
        for server in servers {
            #expect(server.done.wait(timeout: .now() + 5) == .success)
        }
        let bodies = servers.flatMap { server in server.served.withLock { $0.map(\.body) } }
        let expected = (0..<connections).flatMap { index in (0..<rounds).map { "c\(index) r\($0)" } }
        #expect(bodies.sorted() == expected.sorted())
    }

    @Test func staleSocketIsReplacedButOtherFilesAreNot() throws {
        try FastCGILibrary.initialize()
        let path = Self.temporarySocketPath()
        let first = try FastCGIListener.bind(path: path, mode: 0o600)
        _ = close(first.descriptor)  // leave the file behind, as a crashed run would
        let second = try FastCGIListener.bind(path: path, mode: 0o666)
        second.close()
        #expect(access(path, F_OK) != 0)

        let regular = Self.temporarySocketPath()
        #expect(FileManager.default.createFile(atPath: regular, contents: Data("keep".utf8)))
        defer { unlink(regular) }
        #expect(throws: FastCGIError.self) { try FastCGIListener.bind(path: regular, mode: 0o600) }
        #expect(FileManager.default.contents(atPath: regular) == Data("keep".utf8))
    }

    @Test(arguments: [
        (["LISTEN_FDS": "1"], Int32?.some(3)),
        (["LISTEN_FDS": "1", "LISTEN_PID": "4242"], Int32?.some(3)),
        (["LISTEN_FDS": "1", "LISTEN_PID": "1"], Int32?.none),
        (["LISTEN_FDS": "2"], Int32?.none),
        ([:], Int32?.none),
    ])
    func systemdDescriptor(environment: [String: String], expected: Int32?) {
        #expect(FastCGIListener.systemdDescriptor(environment: environment, processID: 4242) == expected)
    }

    @Test func filterKeepsExactNamesAndLongerPrefixedNames() {
        #expect(Self.filter.keeps("REQUEST_METHOD") && Self.filter.keeps("CONTENT_LENGTH"))
        #expect(Self.filter.keeps("HTTP_HOST") && Self.filter.keeps("HTTP_X"))
        #expect(!Self.filter.keeps("HTTP_") && !Self.filter.keeps("HTTP") && !Self.filter.keeps("http_host"))
        #expect(!Self.filter.keeps("REQUEST_METHO") && !Self.filter.keeps("REQUEST_METHODS") && !Self.filter.keeps(""))
        #expect(!Self.filter.keeps("SERVER_SOFTWARE") && !Self.filter.keeps("request_method"))
    }
}
