import Signing

/// Ties a Play purchase to the Firebase user who made it: the app passes the lowercase hex SHA-256 of the uid to
/// `BillingFlowParams.Builder.setObfuscatedAccountId` (64 characters, Google's limit, and no personal data), and
/// Google reports it back as `obfuscatedExternalAccountId`.
public enum GooglePlayAccountBinding {
    /// The value the app sets for `uid`.
    public static func obfuscatedAccountID(uid: String) -> String { Hex.encode(Digest.sha256(Array(uid.utf8))) }

    /// True when `purchase` was made for `uid`; a purchase without the id belongs to nobody here.
    public static func binds(_ purchase: GooglePlayProductPurchase, to uid: String) -> Bool {
        guard let reported = purchase.obfuscatedExternalAccountID else { return false }
        return reported == obfuscatedAccountID(uid: uid)
    }
}
