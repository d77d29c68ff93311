/// One operator command as `operator_actions` records it (DESIGN §6): what was done to what, by whom, why, and how
/// it ended.
public struct OperatorAction: Sendable, Equatable {
    /// The command, such as `items-resolve` or `requeue`.
    public var action: String
    /// What it acted on: an item id, a `payment_id`, an event id.
    public var target: String
    /// The OS user who ran it (`SUDO_USER` when run through sudo).
    public var osUser: String
    public var reason: String?
    public var result: String

    public init(action: String, target: String, osUser: String, reason: String?, result: String) {
        self.action = action
        self.target = target
        self.osUser = osUser
        self.reason = reason
        self.result = result
    }
}
