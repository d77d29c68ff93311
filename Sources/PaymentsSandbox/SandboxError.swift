/// A sandbox failure (socket, configuration, control call); the message never carries secrets or bodies.
struct SandboxError: Error, Sendable, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
