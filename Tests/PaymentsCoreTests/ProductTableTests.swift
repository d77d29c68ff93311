import PaymentsCore
import Testing

@Suite struct ProductTableTests {
    @Test func parsesPairsAndTrimsBlanks() throws {
        let table = try ProductTable(parsing: " coins_500=499 , coins_1200 = 999,", variable: "X_PRODUCTS")
        #expect(table.prices == ["coins_500": Money(cents: 499), "coins_1200": Money(cents: 999)])
        #expect(table.price(of: "coins_500") == Money(cents: 499))
        #expect(table.price(of: "Coins_500") == nil)
        #expect(table.price(of: "coins") == nil)
    }

    @Test(arguments: ["", ",", "coins", "coins=", "=499", "coins=4.99", "coins=-1", "coins=0", "a=1,a=2", "a=+5"])
    func refusesMalformedTables(text: String) {
        #expect(throws: ConfigurationError.self) { try ProductTable(parsing: text, variable: "X_PRODUCTS") }
        do {
            _ = try ProductTable(parsing: text, variable: "X_PRODUCTS")
        } catch {
            #expect(error.variable == "X_PRODUCTS")
        }
    }
}
