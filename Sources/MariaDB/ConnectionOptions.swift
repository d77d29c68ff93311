/// Where and how to connect: a unix socket or host/port, credentials and timeouts.
public struct ConnectionOptions: Sendable {
    /// A unix socket path or a TCP host and port.
    public enum Endpoint: Sendable, Equatable {
        case socket(String)
        case tcp(host: String, port: Int)
    }

    public var endpoint: Endpoint
    public var user: String
    /// May be empty (unix_socket authentication).
    public var password: String
    /// The default schema; empty connects without one (to create or drop databases).
    public var database: String
    public var connectTimeoutSeconds: Int
    /// Must exceed `lockWaitTimeoutSeconds`, or a lock wait looks like a lost connection.
    public var readTimeoutSeconds: Int
    public var writeTimeoutSeconds: Int
    /// `innodb_lock_wait_timeout` for the session; a wait that long fails with 1205 and is retried.
    public var lockWaitTimeoutSeconds: Int

    public init(
        endpoint: Endpoint, user: String, password: String, database: String, connectTimeoutSeconds: Int = 5,
        readTimeoutSeconds: Int = 60, writeTimeoutSeconds: Int = 30, lockWaitTimeoutSeconds: Int = 20
    ) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
        self.lockWaitTimeoutSeconds = lockWaitTimeoutSeconds
    }
}
