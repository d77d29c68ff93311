import ArgumentParser
import Logging

LoggingSystem.bootstrap(StreamLogHandler.standardError)
SandboxCommand.main()
