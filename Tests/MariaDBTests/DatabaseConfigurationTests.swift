import PaymentsCore
import PaymentsStore
import Testing

@Suite struct DatabaseConfigurationTests {
    @Test func readsSocketOrHostAndNamesWhatIsMissing() throws {
        let socket = try DatabaseConfiguration(
            ConfigReader(["DB_SOCKET": "/run/mysqld/mysqld.sock", "DB_USER": "payments", "DB_NAME": "tn_payments"]))
        #expect(socket.endpoint == .socket("/run/mysqld/mysqld.sock"))
        #expect(socket.password.value == "")
        #expect(socket.database == "tn_payments")

        let tcp = try DatabaseConfiguration(
            ConfigReader(["DB_HOST": "db.internal", "DB_USER": "u", "DB_PASSWORD": "pw", "DB_NAME": "n"]))
        #expect(tcp.endpoint == .tcp(host: "db.internal", port: 3306))
        #expect(tcp.password.value == "pw")
        #expect("\(tcp.password)" == "<redacted>")

        let missingUser = try #require(throws: ConfigurationError.self) {
            try DatabaseConfiguration(ConfigReader(["DB_SOCKET": "/s", "DB_NAME": "n"]))
        }
        #expect(missingUser.variable == "DB_USER")
        let missingName = try #require(throws: ConfigurationError.self) {
            try DatabaseConfiguration(ConfigReader(["DB_SOCKET": "/s", "DB_USER": "u", "DB_NAME": ""]))
        }
        #expect(missingName.variable == "DB_NAME")
        let missingEndpoint = try #require(throws: ConfigurationError.self) {
            try DatabaseConfiguration(ConfigReader(["DB_USER": "u", "DB_NAME": "n"]))
        }
        #expect(missingEndpoint.description.contains("DB_SOCKET"))
        let badPort = try #require(throws: ConfigurationError.self) {
            try DatabaseConfiguration(ConfigReader(["DB_HOST": "h", "DB_PORT": "x", "DB_USER": "u", "DB_NAME": "n"]))
        }
        #expect(badPort.variable == "DB_PORT")
    }
}
