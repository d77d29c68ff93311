/// One emulated service bound to a listening port; called concurrently from connection threads.
protocol SandboxService: Sendable {
    /// Answers one request; may block (latency emulation) since each connection has its own thread.
    func handle(_ request: SandboxRequest) -> SandboxResponse
}
