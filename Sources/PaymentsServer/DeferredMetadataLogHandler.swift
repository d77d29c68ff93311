import Logging

/// The responder's log handler: `StreamLogHandler` output, with the metadata attached to a logger rendered only
/// when a line is written.
///
/// `StreamLogHandler` re-renders its attached metadata as text on every change. The request pipeline attaches the
/// request id, the gateway and the event id to every request's logger, and at the usual levels (`info` and up, the
/// benchmark's `warning`) most of those loggers never write a line, so that rendering was pure waste. Lines are
/// identical: the attached metadata is handed to the stream handler with the line's own (the line's wins).
struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        stream.log(event: event)
    }
}
