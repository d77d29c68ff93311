import Logging
import PaymentsCore
import Synchronization
import Testing

/// The executables' log lines: text or JSON, one per event, with the journald priority prefix under systemd, and the
/// logger's attached metadata merged with the line's own.
@Suite struct LineLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    private func logger(_ format: LineLogHandler.Format, journal: Bool, _ lines: Lines) -> Logger {
        Logger(label: "payments-test") { label in
            var handler = LineLogHandler(label: label, format: format, priorityPrefix: journal) { lines.append($0) }
            handler.logLevel = .info
            return handler
        }
    }

    @Test func textLinesCarryLevelLabelMetadataAndSource() throws {
        let lines = Lines()
        var logger = logger(.text, journal: false, lines)
        logger[metadataKey: "request.id"] = "r1"
        logger.info("answered", metadata: ["http.status": "200"])
        logger.debug("not written at info")
        let line = try #require(lines.all.first)
        #expect(lines.all.count == 1)
        #expect(
            line.hasSuffix(" info payments-test: http.status=200 request.id=r1 [PaymentsCoreTests] answered\n"),
            "\(line)")
        #expect(line.first?.isNumber == true, "a timestamp first: \(line)")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func jsonLinesAreOneObjectEach() throws {
        let lines = Lines()
        var logger = logger(.json, journal: false, lines)
        logger[metadataKey: "gateway"] = "stripe"
        logger.warning("retrying \"quoted\"\nsecond line", metadata: ["attempt": "2", "ids": ["a", "b"]])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1, "\(line)")
        let object = try JSONValue.parse(String(line.dropLast()))
        #expect(object["level"] == .string("warning") && object["label"] == .string("payments-test"))
        #expect(object["message"] == .string("retrying \"quoted\"\nsecond line"))
        #expect(object["source"] == .string("PaymentsCoreTests"))
        #expect(object["metadata"]?["gateway"] == .string("stripe") && object["metadata"]?["attempt"] == .string("2"))
        #expect(object["metadata"]?["ids"] == .array([.string("a"), .string("b")]))
        #expect(object["time"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test(arguments: [
        (Logger.Level.critical, "<2>"), (.error, "<3>"), (.warning, "<4>"), (.notice, "<5>"), (.info, "<6>"),
    ])
    func underTheJournalEachLineStartsWithItsPriority(level: Logger.Level, prefix: String) throws {
        for format in [LineLogHandler.Format.text, .json] {
            let lines = Lines()
            logger(format, journal: true, lines).log(level: level, "event")
            #expect(lines.all.first?.hasPrefix(prefix) == true, "\(format) \(level): \(lines.all)")
        }
        let plain = Lines()
        logger(.text, journal: false, plain).log(level: level, "event")
        #expect(plain.all.first?.hasPrefix("<") == false)
    }

    @Test func formatAndJournalComeFromConfiguration() throws {
        #expect(try LineLogHandler.format(ConfigReader([:])) == .text)
        #expect(try LineLogHandler.format(ConfigReader(["LOG_FORMAT": "JSON"])) == .json)
        let error = try #require(throws: ConfigurationError.self) {
            try LineLogHandler.format(ConfigReader(["LOG_FORMAT": "xml"]))
        }
        #expect(error.variable == "LOG_FORMAT")
        #expect(LineLogHandler.stderrIsJournal(["JOURNAL_STREAM": "8:12345"]))
        #expect(!LineLogHandler.stderrIsJournal([:]))
    }
}
