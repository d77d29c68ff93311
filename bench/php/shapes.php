<?php
// bench/php/shapes.php — mariadbd's CPU and the wall time per credit for each way payments-fcgi can write a
// credit (run by bench/shapes; usage: php shapes.php SOCKET DATABASE MARIADBD_PID CREDITS SHAPE ROWS).
//
// Every shape writes what one Stripe credit writes (the webhook_events row with an 800-byte payload, the tn_payments
// row claimed for push, its payment_sessions row set paid), in one transaction per ROWS credits, over one connection:
//   call   CALL tn_confirm_credit(15 parameters), prepared: payments-fcgi's lone credit (ROWS must be 1)
//   sets   START TRANSACTION, then prepared multi-row statements as CreditBatchInsert sends them (events, sessions
//          locked FOR UPDATE with any stored credit read, credits INSERT … RETURNING, sessions UPDATE), COMMIT
//   text   the same statements as ONE multi-statement text query (values as hex literals), then COMMIT: what one
//          round trip instead of six would cost the server (it parses every statement every time)
//   event  the webhook_events row alone, autocommitted (ROWS must be 1): one part of the floor under any shape
//   credit the tn_payments row alone, autocommitted (ROWS must be 1): another part
//   trigger one autocommitted multi-row INSERT into a copy of webhook_events with the credit's columns added, whose
//          BEFORE INSERT trigger locks the session, refuses a session that holds a credit, writes the tn_payments
//          row and sets the session paid: the whole batch in one round trip and one statement (a candidate shape,
//          not the responder's; the copy, shape_trigger_events, is dropped at the end)
// Prints one line: shape, rows per transaction, credits, mariadbd CPU ms per credit (utime + stime of MARIADBD_PID
// over the loop, so nothing else should run), wall ms per credit. Its own rows are deleted at the end.
[$_, $socket, $database, $serverPid, $credits, $shape, $rows] = $argv;
$credits = (int)$credits;
$rows = max(1, (int)$rows);
$credits -= $credits % $rows;
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$db = new mysqli(null, "root", "", $database, 0, $socket);
$db->query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");

function serverCPU(int $pid): float {
    $fields = explode(" ", substr(strrchr(file_get_contents("/proc/$pid/stat"), ")"), 2));
    return ((int)$fields[11] + (int)$fields[12]) / 100.0;
}
function repeated(string $piece, int $count): string { return implode(", ", array_fill(0, $count, $piece)); }
function hexText(string $text): string { return "_utf8mb4 X'" . bin2hex($text) . "'"; }

$tag = "shape_{$shape}{$rows}_" . getmypid() . "_" . time() . "_";
$db->query("INSERT INTO payment_sessions (public_id, gateway, external_id, uid, amount, currency, status, created_at,
    updated_at) SELECT UUID(), 'stripe', CONCAT('pi_$tag', seq), 'uid_shape', 1000, 'usd', 'pending',
    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_1_to_$credits");
$sessions = array_map(fn($row) => (int)$row[0],
    $db->query("SELECT id FROM payment_sessions WHERE external_id LIKE 'pi_$tag%' ORDER BY id")->fetch_all());
$payload = str_repeat('{"id":"evt_x","object":"event","data":{"object":{"id":"pi_x","amount":8419}}} ', 10);
$headers = '[["Stripe-Signature","t=1796488819,v1=c7f7b50e6c7857b79c490544c183b6278aab93b828d2cc6b09bf2a6c037e4d85"]]';

$eventsSQL = "INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at,
    outcome) VALUES ";
$eventRow = "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)";
$lockSQL = "SELECT (SELECT t.payment_id FROM tn_payments t WHERE t.session_id = s.id AND t.refund_of IS NULL LIMIT 1)
    FROM payment_sessions s WHERE s.id IN ";
$creditsSQL = "INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, refund_of,
    sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token) VALUES ";
$creditRow = "(?, ?, ?, ?, 0, UTC_TIMESTAMP(6), ?, NULL, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND,
    UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)";
$updateSQL = "UPDATE payment_sessions SET status = ?, updated_at = UTC_TIMESTAMP(6) WHERE id IN ";
if ($shape === "trigger") {
    $db->query("DROP TABLE IF EXISTS shape_trigger_events");
    $db->query("CREATE TABLE shape_trigger_events LIKE webhook_events");
    $db->query("ALTER TABLE shape_trigger_events ADD COLUMN c_payment_id VARCHAR(255) NOT NULL,
        ADD COLUMN c_uid VARCHAR(128) NOT NULL, ADD COLUMN c_gateway VARCHAR(32) CHARACTER SET ascii NOT NULL,
        ADD COLUMN c_amount BIGINT NOT NULL, ADD COLUMN c_session_id BIGINT NULL, ADD COLUMN c_lease INT NULL,
        ADD COLUMN c_token BIGINT NULL, ADD COLUMN c_row_id BIGINT NULL");
    $db->query("CREATE TRIGGER shape_trigger_credit BEFORE INSERT ON shape_trigger_events FOR EACH ROW
        BEGIN
            DECLARE v_other VARCHAR(255) DEFAULT NULL;
            IF NEW.c_session_id IS NOT NULL THEN
                SELECT (SELECT t.payment_id FROM tn_payments t WHERE t.session_id = s.id AND t.refund_of IS NULL
                    LIMIT 1) INTO v_other FROM payment_sessions s WHERE s.id = NEW.c_session_id FOR UPDATE;
                IF v_other IS NOT NULL THEN
                    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the session holds a credit';
                END IF;
            END IF;
            INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, refund_of,
                sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token)
                VALUES (NEW.c_payment_id, NEW.c_uid, NEW.c_gateway, NEW.c_amount, 0, UTC_TIMESTAMP(6),
                NEW.c_session_id, NULL, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND,
                UTC_TIMESTAMP(6) + INTERVAL NEW.c_lease SECOND, NEW.c_token);
            SET NEW.c_row_id = LAST_INSERT_ID();
            IF NEW.c_session_id IS NOT NULL THEN
                UPDATE payment_sessions SET status = 'paid', updated_at = UTC_TIMESTAMP(6) WHERE id = NEW.c_session_id;
            END IF;
        END");
    $trigger = $db->prepare("INSERT INTO shape_trigger_events (gateway, event_id, event_type, payload, headers,
        received_at, processed_at, outcome, c_payment_id, c_uid, c_gateway, c_amount, c_session_id, c_lease, c_token)
        VALUES " . repeated("(?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?, ?, ?, ?, ?, ?, ?)", $rows)
        . " RETURNING id, c_row_id");
} elseif ($shape === "call") {
    $call = $db->prepare("CALL tn_confirm_credit(" . repeated("?", 15) . ")");
} elseif ($shape === "sets" || $shape === "event" || $shape === "credit") {
    $events = $db->prepare($eventsSQL . repeated($eventRow, $rows));
    $lock = $db->prepare($lockSQL . "(" . repeated("?", $rows) . ") FOR UPDATE");
    $insert = $db->prepare($creditsSQL . repeated($creditRow, $rows) . " RETURNING id, payment_id");
    $update = $db->prepare($updateSQL . "(" . repeated("?", $rows) . ")");
}

$cpuBefore = serverCPU((int)$serverPid);
$start = microtime(true);
for ($first = 0; $first < $credits; $first += $rows) {
    $eventValues = $creditValues = $ids = $eventTexts = $creditTexts = [];
    for ($i = $first; $i < $first + $rows; $i++) {
        $event = "evt_$tag$i"; $payment = "pi_$tag$i"; $session = $sessions[$i]; $token = 1000 + $i;
        array_push($eventValues, "stripe", $event, "payment_intent.succeeded", $payload, $headers, "recorded");
        array_push($creditValues, $payment, "uid_shape", "stripe", 1000, $session, 60, $token);
        $ids[] = $session;
        if ($shape !== "text") { continue; }
        $eventTexts[] = "(" . hexText("stripe") . ", " . hexText($event) . ", " . hexText("payment_intent.succeeded")
            . ", X'" . bin2hex($payload) . "', " . hexText($headers) . ", UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), "
            . hexText("recorded") . ")";
        $creditTexts[] = "(" . hexText($payment) . ", " . hexText("uid_shape") . ", " . hexText("stripe")
            . ", 1000, 0, UTC_TIMESTAMP(6), $session, NULL, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND, "
            . "UTC_TIMESTAMP(6) + INTERVAL 60 SECOND, $token)";
    }
    if ($shape === "trigger") {
        $values = [];
        for ($k = 0; $k < $rows; $k++) {
            array_push($values, ...array_slice($eventValues, 6 * $k, 6), ...array_slice($creditValues, 7 * $k, 7));
        }
        $trigger->bind_param(str_repeat("sssssssssiiii", $rows), ...$values);
        $trigger->execute();
        $trigger->get_result()->fetch_all();
    } elseif ($shape === "event") {
        $events->bind_param("ssssss", ...$eventValues);
        $events->execute();
    } elseif ($shape === "credit") {
        $insert->bind_param("sssiiii", ...$creditValues);
        $insert->execute();
        $insert->get_result()->fetch_all();
    } elseif ($shape === "call") {
        [$gateway, $event, $type, , , $outcome] = $eventValues;
        [$payment, $uid, , $amount, $session, $lease, $token] = $creditValues;
        $status = "paid";
        $call->bind_param("sssssssssiiiiis", $gateway, $event, $type, $payload, $headers, $outcome, $payment, $uid,
            $gateway, $amount, $session, $lease, $token, $session, $status);
        $call->execute();
        $call->get_result()->fetch_all();
        while ($call->more_results()) { $call->next_result(); }
    } elseif ($shape === "sets") {
        $db->query("START TRANSACTION");
        $events->bind_param(str_repeat("s", 6 * $rows), ...$eventValues);
        $events->execute();
        $lock->bind_param(str_repeat("i", $rows), ...$ids);
        $lock->execute();
        $lock->get_result()->fetch_all();
        $insert->bind_param(str_repeat("sssiiii", $rows), ...$creditValues);
        $insert->execute();
        $insert->get_result()->fetch_all();
        $status = "paid";
        $update->bind_param("s" . str_repeat("i", $rows), $status, ...$ids);
        $update->execute();
        $db->query("COMMIT");
    } else {
        $list = "(" . implode(", ", $ids) . ")";
        $db->multi_query("START TRANSACTION; " . $eventsSQL . implode(", ", $eventTexts) . "; " . $lockSQL . $list
            . " FOR UPDATE; " . $creditsSQL . implode(", ", $creditTexts) . " RETURNING id, payment_id; "
            . "UPDATE payment_sessions SET status = 'paid', updated_at = UTC_TIMESTAMP(6) WHERE id IN " . $list);
        do {
            if ($result = $db->store_result()) { $result->free(); }
        } while ($db->more_results() && $db->next_result());
        $db->query("COMMIT");
    }
}
$wall = microtime(true) - $start;
$cpu = serverCPU((int)$serverPid) - $cpuBefore;
printf("%-5s rows=%-2d credits=%d  mariadbd %.3f ms/credit  wall %.3f ms/credit\n", $shape, $rows, $credits,
    $cpu * 1000 / $credits, $wall * 1000 / $credits);
$db->query("DELETE FROM tn_payments WHERE payment_id LIKE 'pi_$tag%'");
$db->query("DELETE FROM webhook_events WHERE event_id LIKE 'evt_$tag%'");
$db->query("DELETE FROM payment_sessions WHERE external_id LIKE 'pi_$tag%'");
if ($shape === "trigger") { $db->query("DROP TABLE shape_trigger_events"); }
