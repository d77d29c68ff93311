import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who runs an operator command, for `operator_actions.os_user`: the user who called sudo when run through it,
/// else the login name of the real uid.
enum OperatorIdentity {
    static func current() -> String {
        let environment = ProcessInfo.processInfo.environment
        let uid = getuid()
        let name = getpwuid(uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(uid)"
        if let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty, sudoUser != name {
            return "\(sudoUser) (sudo as \(name))"
        }
        return name
    }
}
