import COpenSSL

/// The settings every TLS connection of one role shares: trust and protocol floor for a client, the certificate and
/// key for a server (the tests' loopback server).
///
/// Why OpenSSL and not URLSession: the responder already links libssl for signatures, and FoundationNetworking
/// brings libcurl with its own TLS stack (about 4 MB resident before the first call, bench/README.md).
///
/// Safe to share across threads (`@unchecked Sendable`): the `SSL_CTX` is configured in `init` and only read after
/// (OpenSSL 3 makes `SSL_new` on a shared context thread-safe); it is freed once, in deinit.
public final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// True for a client context: connections verify the peer's chain and name.
    let isClient: Bool

    private init(method: OpaquePointer?, isClient: Bool) throws(OpenSSLError) {
        OpenSSLError.clearQueue()
        guard let method, let context = SSL_CTX_new(method) else { throw OpenSSLError("SSL_CTX_new") }
        pointer = context
        self.isClient = isClient
        guard COpenSSLShim_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw OpenSSLError("SSL_CTX_set_min_proto_version")
        }
        _ = COpenSSLShim_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
    }

    deinit { SSL_CTX_free(pointer) }

    /// A client that trusts the system's store: OpenSSL's default file and directory, which an operator can point
    /// elsewhere with the standard `SSL_CERT_FILE` and `SSL_CERT_DIR` variables.
    /// - Throws: `OpenSSLError` when the context cannot be made or the store cannot be read.
    public static func systemClient() throws(OpenSSLError) -> TLSContext {
        let context = try TLSContext(method: TLS_client_method(), isClient: true)
        guard SSL_CTX_set_default_verify_paths(context.pointer) == 1 else {
            throw OpenSSLError("SSL_CTX_set_default_verify_paths")
        }
        context.requirePeerVerification()
        return context
    }

    /// A client that trusts exactly `roots` (tests: a chain issued for the occasion), not the system's store.
    /// - Throws: `OpenSSLError` when a root cannot be added.
    public static func client(trusting roots: [Certificate]) throws(OpenSSLError) -> TLSContext {
        let context = try TLSContext(method: TLS_client_method(), isClient: true)
        guard let store = SSL_CTX_get_cert_store(context.pointer) else { throw OpenSSLError("SSL_CTX_get_cert_store") }
        for root in roots {
            guard X509_STORE_add_cert(store, root.pointer) == 1 else { throw OpenSSLError("X509_STORE_add_cert") }
        }
        context.requirePeerVerification()
        return context
    }

    /// A server presenting `certificate` with `key` (the tests' loopback server; no intermediates).
    /// - Throws: `OpenSSLError` when the certificate or key is refused or they do not match.
    public static func server(certificate: Certificate, key: PrivateKey) throws(OpenSSLError) -> TLSContext {
        let context = try TLSContext(method: TLS_server_method(), isClient: false)
        guard SSL_CTX_use_certificate(context.pointer, certificate.pointer) == 1,
            SSL_CTX_use_PrivateKey(context.pointer, key.key.pointer) == 1,
            SSL_CTX_check_private_key(context.pointer) == 1
        else { throw OpenSSLError("server certificate and key") }
        return context
    }

    /// The handshake fails unless the peer's chain leads to a trusted root; the name is checked per connection.
    private func requirePeerVerification() {
        SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, nil)
    }
}
