import ArgumentParser
import Foundation
import Logging
import PaymentsCore

let journal = LineLogHandler.stderrIsJournal(ProcessInfo.processInfo.environment)
LoggingSystem.bootstrap { LineLogHandler(label: $0, format: .text, priorityPrefix: journal) }
SandboxCommand.main()
