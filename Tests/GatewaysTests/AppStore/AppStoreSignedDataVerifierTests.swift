import Foundation
import Gateways
import PaymentsCore
import Signing
import Testing

/// The JWS/x5c verifier against good and broken chains built with a test Apple PKI.
@Suite struct AppStoreSignedDataVerifierTests {
    @Test func genuineTransactionVerifiesAndDecodes() throws {
        let pki = try AppStoreTestPKI.make()
        let signed = try pki.sign(AppStoreTestPKI.transaction(id: "2000000000000042", productID: "coins_1200"))
        let transaction = try pki.verifier().verifyTransaction(signed)
        #expect(transaction.transactionID == "2000000000000042")
        #expect(transaction.originalTransactionID == "2000000000000042")
        #expect(transaction.productID == "coins_1200")
        #expect(transaction.bundleID == AppStoreTestPKI.bundleID)
        #expect(transaction.environment == .sandbox)
        #expect(transaction.rawType == "Consumable")
        #expect(transaction.revocationDate == nil && !transaction.isRevoked)
        #expect(AppStoreAccountToken.matches(transaction.appAccountToken, uid: "user-1"))
        #expect(!AppStoreAccountToken.matches(transaction.appAccountToken, uid: "user-2"))
    }

    @Test func revokedTransactionDecodesItsRevocation() throws {
        let pki = try AppStoreTestPKI.make()
        let transaction = try pki.verifier().verifyTransaction(
            try pki.sign(AppStoreTestPKI.transaction(revoked: true)))
        #expect(transaction.isRevoked)
    }

    @Test func genuineNotificationVerifiesAndItsTransactionToo() throws {
        let pki = try AppStoreTestPKI.make()
        let inner = try pki.sign(AppStoreTestPKI.transaction(revoked: true))
        let signed = try pki.sign(AppStoreTestPKI.notification(type: "REFUND", signedTransaction: inner))
        let verifier = pki.verifier()
        let notification = try verifier.verifyNotification(signed)
        #expect(notification.rawNotificationType == "REFUND")
        #expect(notification.notificationUUID == "8f1c5a9e-0000-4000-8000-000000000001")
        #expect(notification.bundleID == AppStoreTestPKI.bundleID)
        #expect(notification.environment == .sandbox)
        #expect(notification.appAppleID == AppStoreTestPKI.appAppleID)
        let info = try #require(notification.signedTransactionInfo)
        #expect(try verifier.verifyTransaction(info).isRevoked)
    }

    @Test func rogueRootIsRefusedEvenWhenPresentedAsTheRoot() throws {
        let trusted = try AppStoreTestPKI.make()
        let rogue = try AppStoreTestPKI.make()
        let payload = AppStoreTestPKI.transaction()
        #expect(
            refusal { _ = try trusted.verifier().verifyTransaction(try rogue.sign(payload)) } == .verificationFailure)
        // The x5c's third certificate is never trusted, even when it is the configured root's look-alike.
        #expect(
            refusal {
                _ = try trusted.verifier().verifyTransaction(try rogue.sign(payload, presentedRoot: trusted.root))
            } == .verificationFailure)
    }

    @Test func rogueIntermediateIsRefused() throws {
        let trusted = try AppStoreTestPKI.make()
        // An intermediate with the WWDR OID, issued by another CA, presented with the genuine root.
        let rogue = try AppStoreTestPKI.make()
        let forged = try rogue.sign(AppStoreTestPKI.transaction(), presentedRoot: trusted.root)
        #expect(refusal { _ = try trusted.verifier().verifyTransaction(forged) } == .verificationFailure)
    }

    @Test func missingLeafOIDIsRefused() throws {
        let good = try AppStoreTestPKI.make()
        let pki = try AppStoreTestPKI.make(leafOID: false, root: (good.root, good.rootKey))
        #expect(
            refusal { _ = try good.verifier().verifyTransaction(try pki.sign(AppStoreTestPKI.transaction())) }
                == .verificationFailure)
    }

    @Test func missingIntermediateOIDIsRefused() throws {
        let good = try AppStoreTestPKI.make()
        let pki = try AppStoreTestPKI.make(intermediateOID: false, root: (good.root, good.rootKey))
        #expect(
            refusal { _ = try good.verifier().verifyTransaction(try pki.sign(AppStoreTestPKI.transaction())) }
                == .verificationFailure)
    }

    @Test func leafSignedDirectlyByTheRootIsRefused() throws {
        // Apple's path is exactly leaf → WWDR intermediate → root; a two-certificate path is refused even when x5c
        // lists a genuine intermediate second.
        let pki = try AppStoreTestPKI.make()
        let leafKey = try PrivateKey.generateP256()
        let leaf = try Certificate.issue(
            commonName: "Direct Leaf", subjectKey: leafKey, issuer: pki.root, issuerKey: pki.rootKey, isCA: false,
            days: 30, extraExtensions: [(AppStoreSignedDataVerifier.leafOID, AppStoreTestPKI.asn1Null)])
        let direct = AppStoreTestPKI(
            root: pki.root, rootKey: pki.rootKey, intermediate: pki.intermediate, intermediateKey: pki.intermediateKey,
            leaf: leaf, leafKey: leafKey)
        #expect(
            refusal { _ = try pki.verifier().verifyTransaction(try direct.sign(AppStoreTestPKI.transaction())) }
                == .verificationFailure)
    }

    @Test func wrongBundleIsRefused() throws {
        let pki = try AppStoreTestPKI.make()
        let transaction = try pki.sign(AppStoreTestPKI.transaction(bundleID: "com.other.app"))
        #expect(refusal { _ = try pki.verifier().verifyTransaction(transaction) } == .invalidAppIdentifier)
        let notification = try pki.sign(AppStoreTestPKI.notification(bundleID: "com.other.app"))
        #expect(refusal { _ = try pki.verifier().verifyNotification(notification) } == .invalidAppIdentifier)
    }

    @Test func environmentOutsideTheConfiguredSetIsRefused() throws {
        let pki = try AppStoreTestPKI.make()
        let production = try pki.sign(AppStoreTestPKI.transaction(environment: "Production"))
        #expect(
            refusal { _ = try pki.verifier(environments: [.sandbox]).verifyTransaction(production) }
                == .invalidEnvironment)
        let sandbox = try pki.sign(AppStoreTestPKI.transaction(environment: "Sandbox"))
        #expect(
            refusal { _ = try pki.verifier(environments: [.production]).verifyTransaction(sandbox) }
                == .invalidEnvironment)
        #expect(
            try pki.verifier(environments: [.production, .sandbox]).verifyTransaction(sandbox).environment == .sandbox)
        let unknown = try pki.sign(AppStoreTestPKI.transaction(environment: "Staging"))
        #expect(refusal { _ = try pki.verifier().verifyTransaction(unknown) } == .invalidEnvironment)
    }

    @Test(arguments: ["Xcode", "LocalTesting"])
    func xcodeAndLocalTestingAreNeverAccepted(environment: String) throws {
        let pki = try AppStoreTestPKI.make()
        // Even a verifier asked to accept every environment drops the unsigned ones.
        let verifier = AppStoreSignedDataVerifier(
            rootCertificates: [pki.root], bundleID: AppStoreTestPKI.bundleID, appAppleID: AppStoreTestPKI.appAppleID,
            environments: Set(AppStoreEnvironment.allCases))
        let transaction = try pki.sign(AppStoreTestPKI.transaction(environment: environment))
        #expect(refusal { _ = try verifier.verifyTransaction(transaction) } == .invalidEnvironment)
        let notification = try pki.sign(AppStoreTestPKI.notification(environment: environment))
        #expect(refusal { _ = try verifier.verifyNotification(notification) } == .invalidEnvironment)
    }

    @Test func productionNotificationNeedsTheAppAppleID() throws {
        let pki = try AppStoreTestPKI.make()
        let verifier = pki.verifier(environments: [.production])
        let good = try pki.sign(AppStoreTestPKI.notification(environment: "Production"))
        #expect(try verifier.verifyNotification(good).appAppleID == AppStoreTestPKI.appAppleID)
        let missing = try pki.sign(AppStoreTestPKI.notification(environment: "Production", appAppleID: nil))
        #expect(refusal { _ = try verifier.verifyNotification(missing) } == .invalidAppIdentifier)
        let other = try pki.sign(AppStoreTestPKI.notification(environment: "Production", appAppleID: 42))
        #expect(refusal { _ = try verifier.verifyNotification(other) } == .invalidAppIdentifier)
        // A sandbox notification is not bound to the app's Apple id, as in Apple's library.
        let sandbox = try pki.sign(AppStoreTestPKI.notification(environment: "Sandbox", appAppleID: 42))
        #expect(try pki.verifier(environments: [.sandbox]).verifyNotification(sandbox).appAppleID == 42)
    }

    @Test func tamperedPayloadIsRefused() throws {
        let pki = try AppStoreTestPKI.make()
        let signed = try pki.sign(AppStoreTestPKI.transaction(productID: "coins_500"))
        let parts = signed.split(separator: ".").map(String.init)
        let changed = AppStoreTestPKI.transaction(productID: "coins_1200")
        let forged = parts[0] + "." + Base64.urlEncode(Array(changed.serialized().utf8)) + "." + parts[2]
        #expect(refusal { _ = try pki.verifier().verifyTransaction(forged) } == .verificationFailure)
        var signature = try #require(Base64.urlDecode(parts[2]))
        signature[10] ^= 0x01
        let flipped = parts[0] + "." + parts[1] + "." + Base64.urlEncode(signature)
        #expect(refusal { _ = try pki.verifier().verifyTransaction(flipped) } == .verificationFailure)
    }

    @Test func chainIsCheckedAtSignedDate() throws {
        let pki = try AppStoreTestPKI.make(leafDays: 1)
        let now = AppStoreTestPKI.nowMilliseconds
        let fresh = try pki.sign(AppStoreTestPKI.transaction(signedDate: now))
        #expect(try pki.verifier().verifyTransaction(fresh).signedDate == now)
        // Signed after the leaf expired, or before it was valid: refused whatever the current time.
        let late = try pki.sign(AppStoreTestPKI.transaction(signedDate: now + 3 * 86_400_000))
        #expect(refusal { _ = try pki.verifier().verifyTransaction(late) } == .verificationFailure)
        let early = try pki.sign(AppStoreTestPKI.transaction(signedDate: now - 3 * 86_400_000))
        #expect(refusal { _ = try pki.verifier().verifyTransaction(early) } == .verificationFailure)
    }

    @Test func p384ChainVerifies() throws {
        let pki = try AppStoreTestPKI.make(caKeys: { try PrivateKey.generateP384() })
        #expect(pki.rootKey.publicKey.curveName == "secp384r1")
        let transaction = try pki.verifier().verifyTransaction(try pki.sign(AppStoreTestPKI.transaction()))
        #expect(transaction.productID == "coins_500")
    }

    @Test func p384LeafIsRefusedForES256() throws {
        let pki = try AppStoreTestPKI.make(leafKey: try PrivateKey.generateP384())
        #expect(
            refusal { _ = try pki.verifier().verifyTransaction(try pki.sign(AppStoreTestPKI.transaction())) }
                == .verificationFailure)
    }

    @Test func malformedTokensAndHeadersAreRefused() throws {
        let pki = try AppStoreTestPKI.make()
        let payload = AppStoreTestPKI.transaction()
        let verifier = pki.verifier()
        #expect(refusal { _ = try verifier.verifyTransaction("not-a-jws") } == .invalidJWTFormat)
        #expect(refusal { _ = try verifier.verifyTransaction("") } == .invalidJWTFormat)
        let wrongAlg = try pki.sign(payload, header: [("alg", .string("ES384"))])
        #expect(refusal { _ = try verifier.verifyTransaction(wrongAlg) } == .invalidJWTFormat)
        let noX5C = try pki.sign(payload, header: [("x5c", .null)])
        #expect(refusal { _ = try verifier.verifyTransaction(noX5C) } == .invalidJWTFormat)
        let two = try pki.sign(payload, header: [("x5c", .array(pki.x5c().prefix(2).map { .string($0) }))])
        #expect(refusal { _ = try verifier.verifyTransaction(two) } == .invalidJWTFormat)
        let four = try pki.sign(payload, header: [("x5c", .array((pki.x5c() + [pki.x5c()[2]]).map { .string($0) }))])
        #expect(refusal { _ = try verifier.verifyTransaction(four) } == .invalidJWTFormat)
        let garbage = try pki.sign(
            payload,
            header: [
                (
                    "x5c",
                    .array([.string(Base64.encode(Array("abc".utf8))), .string(pki.x5c()[1]), .string(pki.x5c()[2])])
                )
            ])
        #expect(refusal { _ = try verifier.verifyTransaction(garbage) } == .invalidCertificate)
        let missingIDs = try pki.sign(.object([("bundleId", .string(AppStoreTestPKI.bundleID))]))
        #expect(refusal { _ = try verifier.verifyTransaction(missingIDs) } == .invalidJWTFormat)
    }

    @Test func refusalsAreBadRequests() {
        let error = AppStoreVerificationError(.verificationFailure, "detail")
        #expect(error.apiError.code == .badRequest)
        #expect(!error.apiError.message.contains("detail"))
    }
}
