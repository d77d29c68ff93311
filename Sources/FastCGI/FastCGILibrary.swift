import CFastCGI

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide libfcgi set-up and shutdown, kept in one place because libfcgi's state is global.
public enum FastCGILibrary {
    /// Initialises libfcgi (`FCGX_Init`) once per process, before any listener or request exists, and replaces its
    /// SIGUSR1 handler with one that does nothing.
    ///
    /// libfcgi's handler sets its shutdown flag (`FCGX_ShutdownPending`), and with that flag set libfcgi 2.4.2's accept
    /// loop can spin on a closed descriptor (see `AcceptGate`). Shutdown here goes through the listener instead, so a
    /// stray SIGUSR1 must change nothing: with this handler it at most interrupts a `poll()`, which the accept loop
    /// retries.
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
}
