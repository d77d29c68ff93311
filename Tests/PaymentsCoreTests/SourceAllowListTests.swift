import PaymentsCore
import Testing

@Suite struct SourceAllowListTests {
    @Test func emptyListAcceptsAnySource() {
        let list = SourceAllowList(ConfigReader([:]), variable: "PAYEER_ALLOWED_IPS")
        #expect(list.addresses.isEmpty)
        #expect(list.permits("203.0.113.9"))
    }

    @Test func listedAddressesOnly() {
        let list = SourceAllowList(
            ConfigReader(["PAYEER_ALLOWED_IPS": "185.71.65.92, 185.71.65.189,2001:DB8::1"]),
            variable: "PAYEER_ALLOWED_IPS")
        #expect(list.permits("185.71.65.92"))
        #expect(list.permits("185.71.65.189"))
        #expect(list.permits("2001:db8::1"))
        #expect(!list.permits("185.71.65.93"))
        #expect(!list.permits("127.0.0.1"))
        #expect(!list.permits(""))
    }

    @Test func mappedIPv4IsTheIPv4Address() {
        let list = SourceAllowList(["127.0.0.1"])
        #expect(list.permits("::ffff:127.0.0.1"))
        #expect(!list.permits("::ffff:127.0.0.2"))
    }
}
