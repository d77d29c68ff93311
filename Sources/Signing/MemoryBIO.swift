import COpenSSL

/// An owned in-memory OpenSSL `BIO`, used to move PEM text in and out of the library.
///
/// Internal and short-lived: created, used and freed within one call on one thread, so it is not Sendable.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty, writable buffer.
    init() throws(OpenSSLError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError("BIO_new") }
        pointer = bio
    }

    /// A buffer holding a copy of `text`'s UTF-8 bytes, ready to be read.
    init(text: String) throws(OpenSSLError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError("BIO_new") }
        pointer = bio
        let bytes = Array(text.utf8)
        let written = Bytes.withPointer(bytes) { base, count in BIO_write(bio, base, Int32(count)) }
        guard written == Int32(bytes.count) || bytes.isEmpty else { throw OpenSSLError("BIO_write") }
    }

    deinit { BIO_free(pointer) }

    /// Everything written so far, as text.
    var text: String {
        var data: UnsafeMutablePointer<CChar>?
        let length = COpenSSLShim_BIO_get_mem_data(pointer, &data)
        guard length > 0, let data else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) { base in
            String(decoding: UnsafeBufferPointer(start: base, count: length), as: UTF8.self)
        }
    }
}
