import PaymentsCore
import Signing

/// One Pub/Sub push delivery: `{"message": {"data", "messageId", "publishTime", "attributes"}, "subscription"}`,
/// `data` being the base64 of a Real-time developer notification. See
/// https://cloud.google.com/pubsub/docs/push#receive_push
public struct GooglePlayPushMessage: Sendable, Equatable {
    /// `message.messageId` (or the older `message_id`): the delivery's dedup key in `webhook_events` (DESIGN §5).
    public let messageID: String
    public let publishTime: String?
    public let subscription: String?
    public let notification: GooglePlayDeveloperNotification

    /// Reads a push body.
    /// - Throws: `APIError` 400 naming what is missing: the message, its id, base64 `data`, or a notification in it.
    public init(body: JSONValue) throws(APIError) {
        guard let message = body["message"], case .object = message else {
            throw APIError(.badRequest, "message is required")
        }
        guard let id = message["messageId"]?.stringValue ?? message["message_id"]?.stringValue, !id.isEmpty else {
            throw APIError(.badRequest, "message.messageId is required")
        }
        guard let data = message["data"]?.stringValue, let bytes = Base64.decode(data),
            let decoded = try? JSONValue.parse(bytes), let notification = GooglePlayDeveloperNotification(decoded)
        else { throw APIError(.badRequest, "message.data is not a developer notification") }
        messageID = id
        publishTime = message["publishTime"]?.stringValue ?? message["publish_time"]?.stringValue
        subscription = body["subscription"]?.stringValue
        self.notification = notification
    }
}
