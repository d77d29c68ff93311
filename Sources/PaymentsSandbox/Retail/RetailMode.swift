/// How the emulated Retail API misbehaves, switched by `POST /control/retail`.
enum RetailMode: String, Sendable, CaseIterable {
    /// Answers normally.
    case ok
    /// Every call answers 500.
    case fail
    /// Closes the connection without answering.
    case down
    /// Answers normally after a delay (`latency_ms`, 2000 ms when not given).
    case slow
    /// Alternates 500 and a normal answer, starting with 500.
    case flap
    /// Applies the call, then answers 500 (the answer is lost).
    case loseAnswer = "lose-answer"
    /// Every call answers 401.
    case unauthorized
}
