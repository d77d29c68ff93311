/// Facts a handler learns that belong on the request's one log line (the webhook event id), read by the pipeline
/// after the handler returns. A class so the handler's copy of the context shares it with the pipeline.
public final class RequestAnnotations {
    public var eventID: String?

    public init() {}
}
