import COpenSSL

#if canImport(Glibc)
    import Glibc
#endif

/// One TLS connection over a socket the caller owns, driven step by step: every call returns at once with bytes
/// moved or what the socket must become (readable, writable) first, so the caller's `poll()` keeps its deadline.
///
/// A client stream checks the peer's chain against its context's roots and the peer's name against `host`
/// (DNS name or IP address) during the handshake; either failure ends the handshake with `TLSError(.certificate)`.
///
/// Used by one thread at a time (`@unchecked Sendable`, like the socket under it): the `SSL` object is not shared.
/// Freeing the stream does not close the descriptor.
public final class TLSStream: @unchecked Sendable {
    /// What the socket must become before the same call can make progress.
    public enum Wait: Equatable, Sendable {
        case readable, writable
    }

    /// The outcome of one `read` or `write`.
    public enum Transfer: Equatable, Sendable {
        /// This many bytes were read or written (never 0).
        case bytes(Int)
        /// Nothing moved: call again once the socket is ready.
        case wait(Wait)
        /// The peer ended the session with a close notification.
        case closed
        /// The connection ended without one: whatever was framed by the end of the connection may be cut short.
        case truncated
    }

    private let ssl: OpaquePointer
    /// Keeps the context alive as long as the `SSL` that points into it.
    private let context: TLSContext

    /// A client stream to `host` over `descriptor` (connected): SNI for a DNS name, the peer's name checked against
    /// `host` either way.
    /// - Throws: `TLSError(.handshake)` when OpenSSL cannot set the connection up.
    public convenience init(connectingTo host: String, context: TLSContext, descriptor: Int32) throws(TLSError) {
        try self.init(context: context, descriptor: descriptor, client: true)
        // An IP literal is checked against the certificate's IP addresses and sent without SNI (RFC 6066 §3).
        if X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1 {
            OpenSSLError.clearQueue()
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            guard SSL_set1_host(ssl, host) == 1, COpenSSLShim_SSL_set_tlsext_host_name(ssl, host) == 1 else {
                throw TLSError(.handshake, OpenSSLError("host name \(host)").message)
            }
        }
        SSL_set_connect_state(ssl)
    }

    /// A server stream over an accepted `descriptor` (the tests' loopback server).
    /// - Throws: `TLSError(.handshake)` when OpenSSL cannot set the connection up.
    public convenience init(accepting descriptor: Int32, context: TLSContext) throws(TLSError) {
        try self.init(context: context, descriptor: descriptor, client: false)
        SSL_set_accept_state(ssl)
    }

    /// An `SSL` over `descriptor` from a context of the role asked for.
    private init(context: TLSContext, descriptor: Int32, client: Bool) throws(TLSError) {
        OpenSSLError.clearQueue()
        guard context.isClient == client, let ssl = SSL_new(context.pointer) else {
            throw TLSError(.handshake, OpenSSLError("SSL_new").message)
        }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, descriptor) == 1 else { throw TLSError(.handshake, OpenSSLError("SSL_set_fd").message) }
    }

    deinit { SSL_free(ssl) }

    /// Advances the handshake; nil once it is complete.
    /// - Throws: `TLSError(.certificate)` when the peer's chain or name is not trusted, `.handshake` for any other
    ///   refusal or a connection that ends during the handshake.
    public func handshake() throws(TLSError) -> Wait? {
        OpenSSLError.clearQueue()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return nil }
        switch try outcome(of: result) {
        case .wait(let wait): return wait
        case .bytes, .closed, .truncated:
            let verdict = SSL_get_verify_result(ssl)
            if verdict != X509_V_OK { throw certificateError(verdict) }
            throw TLSError(.handshake, "connection closed during the TLS handshake")
        }
    }

    /// Reads up to `buffer.count` bytes of application data.
    /// - Throws: `TLSError(.connection)` when the session fails (a corrupt record, a socket error).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Transfer {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .bytes(0) }
        OpenSSLError.clearQueue()
        let result = SSL_read(ssl, base, Int32(clamping: buffer.count))
        if result > 0 { return .bytes(Int(result)) }
        return try outcome(of: result)
    }

    /// Writes up to `bytes.count` bytes (all of them unless the socket is full).
    /// - Throws: `TLSError(.connection)` when the session fails or the peer has gone.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Transfer {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .bytes(0) }
        OpenSSLError.clearQueue()
        let result = SSL_write(ssl, base, Int32(clamping: bytes.count))
        if result > 0 { return .bytes(Int(result)) }
        switch try outcome(of: result) {
        case .closed, .truncated: throw TLSError(.connection, "the peer closed the connection")
        case let other: return other
        }
    }

    /// Sends the close notification without waiting for the peer's, so the peer can tell the end of the data from a
    /// cut connection.
    public func closeNotify() {
        OpenSSLError.clearQueue()
        _ = SSL_shutdown(ssl)
        OpenSSLError.clearQueue()
    }

    /// A server sends one more TLS 1.3 session ticket now, outside any answer: protocol bytes a client must read
    /// without taking them for data (tests of connection reuse).
    public func sendSessionTicket() throws(TLSError) {
        OpenSSLError.clearQueue()
        guard SSL_new_session_ticket(ssl) == 1, SSL_do_handshake(ssl) == 1 else {
            throw TLSError(.connection, OpenSSLError("SSL_new_session_ticket").message)
        }
    }

    /// Application bytes already decrypted and waiting: a `read` returns them without touching the socket.
    public var hasBufferedBytes: Bool { SSL_pending(ssl) > 0 }

    /// What a call that returned `result` (0 or less) means.
    private func outcome(of result: Int32) throws(TLSError) -> Transfer {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wait(.readable)
        case SSL_ERROR_WANT_WRITE:
            return .wait(.writable)
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            // No OpenSSL reason and no errno: the socket reached its end outside the protocol.
            let error = errno
            if ERR_peek_error() == 0 && (result == 0 || error == 0) { return .truncated }
            throw TLSError(.connection, OpenSSLError("socket error (errno \(error))").message)
        default:
            if ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING {
                OpenSSLError.clearQueue()
                return .truncated
            }
            let verdict = SSL_get_verify_result(ssl)
            if verdict != X509_V_OK && SSL_is_init_finished(ssl) == 0 { throw certificateError(verdict) }
            let kind: TLSError.Kind = SSL_is_init_finished(ssl) == 0 ? .handshake : .connection
            throw TLSError(kind, OpenSSLError("TLS").message)
        }
    }

    private func certificateError(_ verdict: Int) -> TLSError {
        OpenSSLError.clearQueue()
        let reason = X509_verify_cert_error_string(verdict).map { String(cString: $0) } ?? "code \(verdict)"
        return TLSError(.certificate, "the server's certificate is not trusted: \(reason)")
    }
}
