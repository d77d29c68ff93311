-- Client-initiated payments as this backend created them (DESIGN §1.1, §5, §8).
CREATE TABLE IF NOT EXISTS payment_sessions (
    id BIGINT NOT NULL AUTO_INCREMENT,
    public_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    external_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    uid VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    amount BIGINT NOT NULL,
    currency CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status ENUM('creating', 'pending', 'review', 'paid', 'failed', 'canceled', 'expired', 'refunded')
        CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NULL,
    next_reconcile_at DATETIME(6) NULL,
    reconcile_attempts INT NOT NULL DEFAULT 0,
    reconcile_claimed_until DATETIME(6) NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_payment_sessions_public_id (public_id),
    UNIQUE KEY uq_payment_sessions_gateway_external_id (gateway, external_id),
    KEY idx_payment_sessions_reconcile (status, next_reconcile_at),
    KEY idx_payment_sessions_uid (uid, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
