#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/ssl.h>

/// Replaces the BIO_get_mem_data macro, which Swift cannot import.
static inline long COpenSSLShim_BIO_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }
/// Replaces the OPENSSL_free macro.
static inline void COpenSSLShim_OPENSSL_free(void *p) { OPENSSL_free(p); }
/// Replaces the sk_X509_new_null macro (type-safe stack macros do not import).
static inline STACK_OF(X509) *COpenSSLShim_sk_X509_new_null(void) { return sk_X509_new_null(); }
/// Replaces the sk_X509_push macro; the stack does not take a reference, the caller keeps the certificate alive.
static inline int COpenSSLShim_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
/// Replaces the sk_X509_num macro; 0 for a NULL stack.
static inline int COpenSSLShim_sk_X509_num(const STACK_OF(X509) *stack) { return stack ? sk_X509_num(stack) : 0; }
/// Replaces the sk_X509_free macro; frees the stack only, not the certificates in it.
static inline void COpenSSLShim_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
/// Replaces the SSL_CTX_set_min_proto_version macro: the outbound TLS client refuses anything older than TLS 1.2.
static inline int COpenSSLShim_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}
/// Replaces the SSL_CTX_set_mode macro (SSL_MODE_RELEASE_BUFFERS: an idle pooled connection keeps no 34 KB buffers).
static inline long COpenSSLShim_SSL_CTX_set_mode(SSL_CTX *context, long mode) { return SSL_CTX_set_mode(context, mode); }
/// Replaces the SSL_set_tlsext_host_name macro (SNI: servers behind one address pick the certificate by name).
static inline int COpenSSLShim_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
#endif
