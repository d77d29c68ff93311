-- Deliveries whose effect was applied, written in the same transaction as the effect (DESIGN §1.2, §5).
CREATE TABLE IF NOT EXISTS webhook_events (
    id BIGINT NOT NULL AUTO_INCREMENT,
    gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    event_type VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    payload MEDIUMBLOB NULL,
    headers JSON NULL,
    received_at DATETIME(6) NOT NULL,
    processed_at DATETIME(6) NOT NULL,
    outcome VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_webhook_events_gateway_event_id (gateway, event_id),
    KEY idx_webhook_events_received_at (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
