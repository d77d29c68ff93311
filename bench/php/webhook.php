<?php
// bench/php/webhook.php — the PHP-FPM reference of bench/webhooks: Stripe payment_intent.succeeded, written the way
// a PHP shop writes a webhook endpoint, doing the project's per-delivery contract (DESIGN §1.2, §7):
//   verify Stripe-Signature (HMAC-SHA256 over "t.body" with each STRIPE_WEBHOOK_SECRET, any v1 matching, tolerance
//   STRIPE_WEBHOOK_TOLERANCE_SECONDS back and 300 s ahead), json_decode, the session by metadata.session_id (checked
//   as StripeIntents.session checks it), then ONE transaction: the webhook_events row (payload, headers JSON,
//   outcome), the tn_payments credit written claimed for push (sync_claimed_until, sync_claim_token) and the session
//   set to 'paid'; COMMIT; answer 200 {"received":true}; fastcgi_finish_request(); then the Retail push with curl
//   (the transaction; on 404 the customer, then the transaction again, as RetailClient does) and the row marked
//   synced under its claim token. A duplicate event hits the unique key: rolled back, answered 200.
// Configuration from the pool's env[] (bench/php/php-fpm.conf.template): DB_SOCKET, DB_NAME, STRIPE_WEBHOOK_SECRET,
// STRIPE_WEBHOOK_TOLERANCE_SECONDS, RETAIL_API_URL, RETAIL_API_KEY. Persistent mysqli ("p:" host).
// With BENCH_PHP_LITE=1 in the environment (the pool `lite`) only the signature and the event row + ledger row
// (one transaction) are done: the issue's "signature, event row + ledger row only" row.

declare(strict_types=1);

function answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
}

function refuse(int $status, string $name, string $message): void
{
    answer($status, ['errorName' => $name, 'errorMessage' => $message]);
}

function verify_stripe_signature(?string $header, string $body, array $secrets, int $tolerance, int $now): bool
{
    if ($header === null || $header === '') {
        return false;
    }
    $timestamp = null;
    $candidates = [];
    foreach (explode(',', $header) as $item) {
        $parts = explode('=', $item, 2);
        if (count($parts) !== 2) {
            return false;
        }
        $key = trim($parts[0], " \t");
        $value = trim($parts[1], " \t");
        if ($key === 't') {
            if (!preg_match('/^-?\d+$/', $value)) {
                return false;
            }
            $timestamp = (int) $value;
        } elseif ($key === 'v1' && strlen($value) % 2 === 0 && ctype_xdigit($value)) {
            $candidates[] = hex2bin($value);
        }
    }
    if ($timestamp === null || !$candidates) {
        return false;
    }
    if ($tolerance > 0 && ($timestamp < $now - $tolerance || $timestamp > $now + 300)) {
        return false;
    }
    foreach ($secrets as $secret) {
        $expected = hash_hmac('sha256', $timestamp . '.' . $body, $secret, true);
        foreach ($candidates as $candidate) {
            if (hash_equals($expected, $candidate)) {
                return true;
            }
        }
    }
    return false;
}

function retail_post(string $url, string $key, array $payload): int
{
    $curl = curl_init($url);
    curl_setopt_array($curl, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => json_encode($payload),
        CURLOPT_HTTPHEADER => ['X-Api-Key: ' . $key, 'Accept: application/json', 'Content-Type: application/json'],
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
    ]);
    $ok = curl_exec($curl);
    $status = $ok === false ? 0 : (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    return $status;
}

function retail_push(string $base, string $key, string $paymentId, string $uid, int $amount): bool
{
    $url = $base . '/m/customer/' . rawurlencode($uid) . '/transaction';
    $transaction = ['transaction_id' => $paymentId, 'amount' => $amount];
    $status = retail_post($url, $key, $transaction);
    if ($status === 404) {
        $created = retail_post($base . '/m/customer', $key, ['customer_id' => $uid]);
        if (!(($created >= 200 && $created < 300) || $created === 409)) {
            return false;
        }
        $status = retail_post($url, $key, $transaction);
    }
    return ($status >= 200 && $status < 300) || $status === 409;
}

$lite = getenv('BENCH_PHP_LITE') === '1';
$body = file_get_contents('php://input');
$signature = $_SERVER['HTTP_STRIPE_SIGNATURE'] ?? null;
$secrets = array_filter(array_map('trim', explode(',', (string) getenv('STRIPE_WEBHOOK_SECRET'))));
$tolerance = (int) (getenv('STRIPE_WEBHOOK_TOLERANCE_SECONDS') ?: 300);
if (!verify_stripe_signature($signature, $body, $secrets, $tolerance, time())) {
    refuse(401, 'UnauthorizedException', 'invalid signature');
    return;
}
$event = json_decode($body, true);
if (!is_array($event) || !isset($event['id'], $event['type'], $event['data']['object']['id'])) {
    refuse(400, 'BadRequestException', 'body is not a Stripe event');
    return;
}
$intent = $event['data']['object'];

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
try {
    $db = new mysqli('p:localhost', 'root', '', (string) getenv('DB_NAME'), 0, (string) getenv('DB_SOCKET'));

    $session = null;
    $publicId = $intent['metadata']['session_id'] ?? null;
    if (!$lite && is_string($publicId)) {
        $lookup = $db->prepare('SELECT id, gateway, external_id, uid FROM payment_sessions WHERE public_id = ?');
        $lookup->bind_param('s', $publicId);
        $lookup->execute();
        $row = $lookup->get_result()->fetch_assoc();
        $lookup->close();
        if ($row && $row['gateway'] === 'stripe' && ($intent['metadata']['uid'] ?? null) === $row['uid']
            && ($row['external_id'] === null || $row['external_id'] === $intent['id'])) {
            $session = $row;
        }
    }
    $credit = ($lite || $session !== null) && $event['type'] === 'payment_intent.succeeded'
        && ($intent['status'] ?? '') === 'succeeded';
    $uid = $lite ? (string) ($intent['metadata']['uid'] ?? '') : ($session['uid'] ?? '');
    $amount = (int) ($intent['amount_received'] ?? 0);
    $token = random_int(1, PHP_INT_MAX);
    $rowId = 0;

    $db->begin_transaction();
    try {
        $gateway = 'stripe';
        $outcome = $credit ? 'credited' : 'ignored';
        $headers = json_encode(['Stripe-Signature' => $signature]);
        $insertEvent = $db->prepare(
            'INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, '
            . 'outcome) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)'
        );
        $insertEvent->bind_param('ssssss', $gateway, $event['id'], $event['type'], $body, $headers, $outcome);
        $insertEvent->execute();
        $insertEvent->close();
        if ($credit) {
            $sessionId = $session['id'] ?? null;
            $insertCredit = $db->prepare(
                'INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, '
                . 'sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token) '
                . "VALUES (?, ?, ?, ?, 0, UTC_TIMESTAMP(6), ?, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND, "
                . 'UTC_TIMESTAMP(6) + INTERVAL 60 SECOND, ?)'
            );
            $insertCredit->bind_param('sssiii', $intent['id'], $uid, $gateway, $amount, $sessionId, $token);
            $insertCredit->execute();
            $rowId = $insertCredit->insert_id;
            $insertCredit->close();
            if (!$lite) {
                $paid = $db->prepare("UPDATE payment_sessions SET status = 'paid', updated_at = UTC_TIMESTAMP(6) WHERE id = ?");
                $paid->bind_param('i', $sessionId);
                $paid->execute();
                $paid->close();
            }
        }
        $db->commit();
    } catch (mysqli_sql_exception $e) {
        $db->rollback();
        if ($e->getCode() !== 1062) {
            throw $e;
        }
        $rowId = 0; // a duplicate delivery (or payment id): nothing was written, nothing to push
    }
} catch (mysqli_sql_exception $e) {
    error_log('webhook: database error ' . $e->getCode());
    refuse(503, 'ServiceUnavailableException', 'database');
    return;
}

answer(200, ['received' => true]);
fastcgi_finish_request();

if ($rowId > 0 && !$lite) {
    if (retail_push(rtrim((string) getenv('RETAIL_API_URL'), '/'), (string) getenv('RETAIL_API_KEY'), $intent['id'], $uid, $amount)) {
        $synced = $db->prepare(
            "UPDATE tn_payments SET is_synced = 1, sync_state = 'synced', synced_at = UTC_TIMESTAMP(6), "
            . 'sync_claimed_until = NULL, sync_claim_token = NULL, last_sync_error = NULL '
            . 'WHERE id = ? AND sync_claim_token = ?'
        );
        $synced->bind_param('ii', $rowId, $token);
        $synced->execute();
        $synced->close();
    }
}
