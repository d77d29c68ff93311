#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
#include <errno.h>
#include <fcgiapp.h>
#include <fcgios.h>

/// Reads the calling thread's errno: Swift's `errno` accessor goes through Glibc, and reading it here right after a
/// libfcgi call keeps the value from being overwritten by anything the Swift runtime does in between.
static inline int cfastcgi_errno(void) { return errno; }

/// Clears errno before a libfcgi call whose failure is only visible through errno (FCGX_Accept_r may return -9999).
static inline void cfastcgi_clear_errno(void) { errno = 0; }

#endif
