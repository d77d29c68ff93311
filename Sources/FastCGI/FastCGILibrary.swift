import CFastCGI

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide libfcgi set-up and shutdown, kept in one place because libfcgi's state is global.
public enum FastCGILibrary {
    /// Initialises libfcgi (`FCGX_Init`) once per process, before any listener or request exists, and installs the
    /// SIGUSR1 handler that lets shutdown interrupt a thread blocked in `accept()`.
    ///
    /// libfcgi installs its own SIGUSR1 handler only when the signal's disposition is still the default, so an
    /// inherited "ignore" (some supervisors and test runners set it) would make the wake-up a no-op; and its handler
    /// flags shutdown, so a stray SIGUSR1 would stop accepting for good. The handler installed here does nothing
    /// itself: it exists so `accept()` returns EINTR (no `SA_RESTART`), and the accept loop then checks the listener.
    /// - Throws: `FastCGIError` with the library's return code, or the `sigaction` errno.
    public static func initialize() throws(FastCGIError) {
        cfastcgi_clear_errno()
        let result = FCGX_Init()
        guard result == 0 else {
            throw FastCGIError(operation: "FCGX_Init", code: result, systemError: cfastcgi_errno())
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        guard sigaction(SIGUSR1, &action, nil) == 0 else {
            throw FastCGIError(operation: "sigaction", code: -1, systemError: errno, detail: "SIGUSR1")
        }
    }

    /// Marks libfcgi as shutting down (`FCGX_ShutdownPending`): a thread entering or woken in `accept()` returns.
    ///
    /// libfcgi only sets a flag here, so it may be called from any thread.
    public static func shutdownPending() {
        FCGX_ShutdownPending()
    }
}
