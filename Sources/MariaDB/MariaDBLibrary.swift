import CMariaDB

/// Process- and thread-level set-up libmariadb requires before connections are used from several threads.
public enum MariaDBLibrary {
    /// Initialises libmariadb; call once from `main` before any thread starts (it is not thread-safe).
    /// - Throws: `MariaDBError` when the library cannot initialise.
    public static func initialize() throws(MariaDBError) {
        guard CMariaDBShim_library_init() == 0 else {
            throw MariaDBError(code: 0, message: "mysql_library_init failed")
        }
    }

    /// Sets up libmariadb's per-thread state; each thread that uses a connection calls it first.
    public static func threadInit() {
        _ = mysql_thread_init()
    }

    /// Releases the per-thread state from `threadInit()`; call when the thread stops using the database.
    public static func threadEnd() {
        mysql_thread_end()
    }

    /// The client library's version text, for start-up logs.
    public static var clientVersion: String {
        guard let text = mysql_get_client_info() else { return "unknown" }
        return String(cString: text)
    }
}
