import PaymentsCore

/// An emulator's state that notes the ids of the events the current control call emits, so every control
/// answer can list them (`sandbox_events`) the same way.
protocol EventEmittingStore {
    var recentEventIDs: [String] { get set }
}

extension EventEmittingStore {
    /// Runs one control mutation and answers its object with `sandbox_events` set to the ids it emitted.
    mutating func answeringWithEvents<Failure: Error>(
        _ operation: (inout Self) throws(Failure) -> JSONValue
    ) throws(Failure) -> JSONValue {
        recentEventIDs.removeAll()
        defer { recentEventIDs.removeAll() }
        let object = try operation(&self)
        return object.setting("sandbox_events", .array(recentEventIDs.map { JSONValue.string($0) }))
    }
}
