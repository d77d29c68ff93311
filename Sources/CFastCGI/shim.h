#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
#include <errno.h>
#include <fcgiapp.h>
#include <fcgios.h>
#include <sys/epoll.h>

/// Reads the calling thread's errno: Swift's `errno` accessor goes through Glibc, and reading it here right after a
/// libfcgi call keeps the value from being overwritten by anything the Swift runtime does in between.
static inline int cfastcgi_errno(void) { return errno; }

/// Clears errno before a libfcgi call whose failure is only visible through errno (FCGX_Accept_r may return -9999).
static inline void cfastcgi_clear_errno(void) { errno = 0; }

/// Arms `fd` in `epoll` for one readiness report (level-triggered for the listening socket and the wake pipe, one-shot
/// for a kept connection), adding it when it is not registered yet. Returns 0, or -1 with errno set.
static inline int cfastcgi_epoll_arm(int epoll, int fd, int oneShot) {
    struct epoll_event event = {0};
    event.events = EPOLLIN | (oneShot ? EPOLLONESHOT : 0);
    event.data.fd = fd;
    if (epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) == 0) return 0;
    if (errno != ENOENT) return -1;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

/// Waits (without a deadline) for one ready descriptor of `epoll` (readable, or closed by its peer) and returns it;
/// -1 when the wait was interrupted or failed.
static inline int cfastcgi_epoll_wait_one(int epoll) {
    struct epoll_event event = {0};
    if (epoll_wait(epoll, &event, 1, -1) != 1) return -1;
    return event.data.fd;
}

#endif
