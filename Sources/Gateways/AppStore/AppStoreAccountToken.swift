import Signing

/// Binds an App Store purchase to a Firebase user: the app sets `appAccountToken` to the name-based (version 5,
/// SHA-1) UUID of the user's uid (UTF-8) in the RFC 4122 URL namespace `6ba7b811-9dad-11d1-80b4-00c04fd430c8`, so
/// the backend recomputes it from the caller and needs no mapping table.
///
/// Apple stores the token lower-case; comparisons ignore case. See RFC 4122 §4.3 and
/// https://developer.apple.com/documentation/storekit/product/purchaseoption/appaccounttoken(_:)
public enum AppStoreAccountToken {
    /// The lower-case UUIDv5 of `uid` in the URL namespace.
    public static func forUID(_ uid: String) -> String {
        UUIDv5.make(namespace: UUIDv5.urlNamespace, name: Array(uid.utf8))
    }

    /// Whether `token` (a transaction's `appAccountToken`) names the user `uid`; a missing token names nobody.
    public static func matches(_ token: String?, uid: String) -> Bool {
        guard let token, !uid.isEmpty else { return false }
        return token.lowercased() == forUID(uid)
    }
}
