-- One round trip for the commonest confirmation (DESIGN §1.2): a verified event that books one credit and moves its
-- session. The procedure is the whole transaction: the webhook_events row, the second-payment guard under the
-- session's row lock, the tn_payments row (written claimed for the immediate Retail push when a claim is given) and
-- the session update, committed together before the caller answers. It does exactly what the responder's
-- statement-by-statement path does for the same effect (MariaDBLedger+Apply.swift); other effects (refunds, several
-- rows, operator items) keep that path. The one result row says what happened:
--   inserted        the row was written; row_id is its tn_payments.id
--   duplicate-event the event id is already stored: nothing was written
--   already-present the payment_id is stored with the same gateway, uid and amount: event and session update kept
--   second-payment  the session holds another credit: an operator item instead of the row
--   integrity       the payment_id is stored with another gateway, uid or amount: nothing was written
DELIMITER //
CREATE OR REPLACE PROCEDURE tn_confirm_credit(
    IN p_gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin,
    IN p_event_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN p_event_type VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN p_payload MEDIUMBLOB,
    IN p_headers LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN p_outcome VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN p_payment_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN p_uid VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN p_entry_gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin,
    IN p_amount BIGINT,
    IN p_session_id BIGINT,
    IN p_claim_seconds INT,
    IN p_claim_token BIGINT,
    IN p_update_session_id BIGINT,
    IN p_update_status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin
)
MODIFIES SQL DATA
confirm: BEGIN
    DECLARE v_duplicate INT DEFAULT 0;
    DECLARE v_other VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL;
    DECLARE v_gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin;
    DECLARE v_uid VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    DECLARE v_amount BIGINT;
    DECLARE v_result VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin DEFAULT 'inserted';
    DECLARE v_row_id BIGINT DEFAULT NULL;
    DECLARE CONTINUE HANDLER FOR 1062 SET v_duplicate = 1;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_other = NULL;
    -- Deadlocks, lock-wait timeouts and every other error undo the whole transaction and reach the caller, which
    -- retries deadlocks as it retries its own transactions.
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, outcome)
        VALUES (p_gateway, p_event_id, p_event_type, p_payload, p_headers, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
        p_outcome);
    IF v_duplicate = 1 THEN
        ROLLBACK;
        SELECT 'duplicate-event' AS result, CAST(NULL AS SIGNED) AS row_id;
        LEAVE confirm;
    END IF;

    IF p_session_id IS NOT NULL THEN
        -- The session row lock decides two different payments for one session one after the other.
        SELECT (SELECT t.payment_id FROM tn_payments t WHERE t.session_id = s.id AND t.refund_of IS NULL
                AND t.payment_id <> p_payment_id LIMIT 1)
            INTO v_other FROM payment_sessions s WHERE s.id = p_session_id FOR UPDATE;
    END IF;

    IF v_other IS NOT NULL THEN
        INSERT INTO operator_items (gateway, reference, reason, payload, created_at)
            VALUES (p_entry_gateway, p_payment_id, 'second-payment',
            CONCAT('session=', COALESCE(p_session_id, 0), ' amount=', p_amount), UTC_TIMESTAMP(6));
        SET v_result = 'second-payment';
    ELSE
        INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, refund_of,
            sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token)
            VALUES (p_payment_id, p_uid, p_entry_gateway, p_amount, 0, UTC_TIMESTAMP(6), p_session_id, NULL,
            'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND, UTC_TIMESTAMP(6) + INTERVAL p_claim_seconds SECOND,
            p_claim_token);
        IF v_duplicate = 1 THEN
            SELECT gateway, uid, amount INTO v_gateway, v_uid, v_amount FROM tn_payments
                WHERE payment_id = p_payment_id;
            IF v_gateway = p_entry_gateway AND v_uid = p_uid AND v_amount = p_amount THEN
                SET v_result = 'already-present';
            ELSE
                ROLLBACK;
                SELECT 'integrity' AS result, CAST(NULL AS SIGNED) AS row_id;
                LEAVE confirm;
            END IF;
        ELSE
            SET v_row_id = LAST_INSERT_ID();
        END IF;
    END IF;

    IF p_update_session_id IS NOT NULL THEN
        UPDATE payment_sessions SET status = p_update_status, updated_at = UTC_TIMESTAMP(6)
            WHERE id = p_update_session_id;
    END IF;
    COMMIT;
    SELECT v_result AS result, v_row_id AS row_id;
END //
DELIMITER ;
