import Gateways
import Testing

/// The UUIDv5 caller binding, against vectors computed with Python's `uuid.uuid5(uuid.NAMESPACE_URL, name)`.
@Suite struct AppStoreAccountTokenTests {
    @Test(arguments: [
        ("user-123", "7ca4be7c-72b1-5fb0-a0c9-15b8194c4d9a"),
        ("http://python.org/", "4c565f0d-3f5a-5890-b41b-20cf47701c5e"),
        ("Xy9Pq2LkZ8aB3cD4eF5gH6iJ7kL8", "8a830a25-1a08-530c-a16e-c4891ad0c4a1"),
        ("é", "10e1d6de-dc68-53f0-883a-30ec870dd739"),
    ])
    func knownVectors(uid: String, expected: String) {
        #expect(AppStoreAccountToken.forUID(uid) == expected)
    }

    @Test func comparisonIgnoresCaseOnly() {
        #expect(AppStoreAccountToken.matches("7CA4BE7C-72B1-5FB0-A0C9-15B8194C4D9A", uid: "user-123"))
        #expect(AppStoreAccountToken.matches("7ca4be7c-72b1-5fb0-a0c9-15b8194c4d9a", uid: "user-123"))
        #expect(!AppStoreAccountToken.matches("7ca4be7c-72b1-5fb0-a0c9-15b8194c4d9b", uid: "user-123"))
        #expect(!AppStoreAccountToken.matches("7ca4be7c72b15fb0a0c915b8194c4d9a", uid: "user-123"))
        #expect(!AppStoreAccountToken.matches(nil, uid: "user-123"))
        #expect(!AppStoreAccountToken.matches(AppStoreAccountToken.forUID(""), uid: ""))
        #expect(!AppStoreAccountToken.matches(AppStoreAccountToken.forUID("User-123"), uid: "user-123"))
    }
}
