/// The API description of `openapi/tn-payments.yaml` as JSON text, written into this target at build time by
/// `OpenAPIDocumentPlugin`; the responder specialises it for its configuration and serves it (`GET openapi.json`).
public enum OpenAPIDocument {}
