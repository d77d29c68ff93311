-- Group commit for the commonest confirmation (issue 10): the credits of webhooks that arrive together are written
-- in one transaction and one round trip, `CALL tn_confirm_credits(?)`, instead of one CALL and one COMMIT each. A
-- top-level CALL costs the server more than the writes it makes (it opens and locks every table the procedure may
-- touch); inside one CALL each further credit costs only its own statements.
--
-- tn_confirm_credit_step is the confirmation of one credit (sql/0007's logic, unchanged) inside the caller's
-- transaction: it marks a savepoint first and undoes its own writes when the answer is 'integrity', so one item never
-- takes the others down with it. Its answers are those of sql/0007:
--   inserted        the row was written; p_row_id is its tn_payments.id
--   duplicate-event the event id is already stored (or earlier in the same batch): nothing was written
--   already-present the payment_id is stored with the same gateway, uid and amount: event and session update kept
--   second-payment  the session holds another credit: an operator item instead of the row
--   integrity       the payment_id is stored with another gateway, uid or amount: nothing was written
-- Any SQL error (deadlock, lock-wait timeout, a value that does not fit) undoes the whole batch and reaches the
-- caller, which reruns deadlocks and otherwise confirms the items one by one, so only the item at fault fails.
--
-- tn_confirm_credit (one credit, one transaction) keeps its signature and answers and now runs the same step.
--
-- p_items of tn_confirm_credits holds the items one after another. Each item is the 15 parameters of
-- tn_confirm_credit in their order, each written as `<decimal byte length>:<bytes>`, or `-1:` for NULL; integers
-- are decimal text. Lengths count bytes, so any payload byte may appear. The one result row's `results` holds, per
-- item in order, `<answer> <row id or 0>;`.
DELIMITER //
CREATE OR REPLACE PROCEDURE tn_confirm_credit_step(
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
    IN p_update_status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin,
    OUT p_result VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin,
    OUT p_row_id BIGINT
)
MODIFIES SQL DATA
step: BEGIN
    DECLARE v_duplicate INT DEFAULT 0;
    DECLARE v_other VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL;
    DECLARE v_gateway VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin;
    DECLARE v_uid VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    DECLARE v_amount BIGINT;
    DECLARE CONTINUE HANDLER FOR 1062 SET v_duplicate = 1;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_other = NULL;
    SET p_result = 'inserted', p_row_id = NULL;
    SAVEPOINT tn_confirm_credit_step;
    INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, outcome)
        VALUES (p_gateway, p_event_id, p_event_type, p_payload, p_headers, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
        p_outcome);
    IF v_duplicate = 1 THEN
        SET p_result = 'duplicate-event';
        LEAVE step;
    END IF;
    IF p_session_id IS NOT NULL THEN
        SELECT (SELECT t.payment_id FROM tn_payments t WHERE t.session_id = s.id AND t.refund_of IS NULL
                AND t.payment_id <> p_payment_id LIMIT 1)
            INTO v_other FROM payment_sessions s WHERE s.id = p_session_id FOR UPDATE;
    END IF;
    IF v_other IS NOT NULL THEN
        INSERT INTO operator_items (gateway, reference, reason, payload, created_at)
            VALUES (p_entry_gateway, p_payment_id, 'second-payment',
            CONCAT('session=', COALESCE(p_session_id, 0), ' amount=', p_amount), UTC_TIMESTAMP(6));
        SET p_result = 'second-payment';
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
                SET p_result = 'already-present';
            ELSE
                ROLLBACK TO SAVEPOINT tn_confirm_credit_step;
                SET p_result = 'integrity';
                LEAVE step;
            END IF;
        ELSE
            SET p_row_id = LAST_INSERT_ID();
        END IF;
    END IF;
    IF p_update_session_id IS NOT NULL THEN
        UPDATE payment_sessions SET status = p_update_status, updated_at = UTC_TIMESTAMP(6)
            WHERE id = p_update_session_id;
    END IF;
END //

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
BEGIN
    DECLARE v_result VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin;
    DECLARE v_row_id BIGINT;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    CALL tn_confirm_credit_step(p_gateway, p_event_id, p_event_type, p_payload, p_headers, p_outcome, p_payment_id,
        p_uid, p_entry_gateway, p_amount, p_session_id, p_claim_seconds, p_claim_token, p_update_session_id,
        p_update_status, v_result, v_row_id);
    IF v_result IN ('duplicate-event', 'integrity') THEN
        ROLLBACK;
    ELSE
        COMMIT;
    END IF;
    SELECT v_result AS result, v_row_id AS row_id;
END //

CREATE OR REPLACE PROCEDURE tn_confirm_credits(IN p_items LONGBLOB)
MODIFIES SQL DATA
BEGIN
    DECLARE v_position BIGINT DEFAULT 1;
    DECLARE v_end BIGINT DEFAULT LENGTH(p_items) + 1;
    DECLARE v_colon BIGINT;
    DECLARE v_length BIGINT;
    DECLARE v_results LONGTEXT CHARACTER SET ascii COLLATE ascii_bin DEFAULT '';
    DECLARE v_result VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin;
    DECLARE v_row_id BIGINT;
    DECLARE i_gateway LONGBLOB;
    DECLARE i_event_id LONGBLOB;
    DECLARE i_event_type LONGBLOB;
    DECLARE i_payload LONGBLOB;
    DECLARE i_headers LONGBLOB;
    DECLARE i_outcome LONGBLOB;
    DECLARE i_payment_id LONGBLOB;
    DECLARE i_uid LONGBLOB;
    DECLARE i_entry_gateway LONGBLOB;
    DECLARE i_amount LONGBLOB;
    DECLARE i_session_id LONGBLOB;
    DECLARE i_claim_seconds LONGBLOB;
    DECLARE i_claim_token LONGBLOB;
    DECLARE i_update_session_id LONGBLOB;
    DECLARE i_update_status LONGBLOB;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    WHILE v_position < v_end DO
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_gateway = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_event_id = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_event_type = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_payload = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_headers = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_outcome = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_payment_id = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_uid = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_entry_gateway = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_amount = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_session_id = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_claim_seconds = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_claim_token = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_update_session_id = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        SET v_colon = LOCATE(':', p_items, v_position);
        IF v_colon = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tn_confirm_credits: malformed items';
        END IF;
        SET v_length = CAST(SUBSTRING(p_items, v_position, v_colon - v_position) AS SIGNED);
        SET i_update_status = IF(v_length < 0, NULL, SUBSTRING(p_items, v_colon + 1, v_length));
        SET v_position = v_colon + 1 + GREATEST(v_length, 0);
        CALL tn_confirm_credit_step(i_gateway, i_event_id, i_event_type, i_payload, i_headers, i_outcome, i_payment_id, i_uid, i_entry_gateway, i_amount, i_session_id, i_claim_seconds, i_claim_token, i_update_session_id, i_update_status, v_result, v_row_id);
        SET v_results = CONCAT(v_results, v_result, ' ', COALESCE(v_row_id, 0), ';');
    END WHILE;
    COMMIT;
    SELECT v_results AS results;
END //
DELIMITER ;
