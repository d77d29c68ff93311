-- What needs a person: amount mismatches, over-refunds, non-USD payments, permanent sync failures (DESIGN §6).
CREATE TABLE IF NOT EXISTS operator_items (
    id BIGINT NOT NULL AUTO_INCREMENT,
    gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    reference VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    reason VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    payload MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at DATETIME(6) NOT NULL,
    resolved_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    KEY idx_operator_items_open (resolved_at, id),
    KEY idx_operator_items_reference (reference)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
