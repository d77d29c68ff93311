/*
 * bench/reference/contract.c — the contract reference for bench/webhooks: the project's per-delivery SQL, in C.
 *
 * For each Stripe `payment_intent.succeeded` delivery it sends MariaDB exactly what payments-fcgi sends for that
 * delivery (Sources/PaymentsStore and sql/0009): the same statements, the same round trips, the same commits, as
 * server-side prepared statements prepared once per connection (payments-fcgi keeps a per-connection statement
 * cache), the same session settings at connect. The session SELECT runs on the worker's own connection; the credit
 * then goes through the GROUP COMMIT (the section "group commit" below, issue 10, as
 * Sources/PaymentsCore/GroupCommit.swift): a worker that finds nothing queued and no batch running confirms its
 * credit alone at once with the plain `CALL tn_confirm_credit(15 params)`; otherwise it queues and sleeps on its OWN
 * condition variable, woken once when its answer is ready or once when it is appointed to lead a batch (the queued
 * credits, oldest first, at most BATCH_LIMIT 32; the oldest leads), which it runs on its own connection. A batch
 * starts when one ends, or beside the running one (BATCHES_IN_FLIGHT 2 at most) once COMPANY_MINIMUM (2) credits are
 * queued. A batch of 2..32 takes the SET-BASED FAST PATH (CreditBatch's): sorted by (gateway, event_id),
 * START TRANSACTION, one multi-row INSERT of the events, one SELECT ... FOR UPDATE of the sessions (the
 * second-payment check), one multi-row INSERT ... RETURNING of the credits, one UPDATE of the sessions, COMMIT; a
 * batch sharing a session, payment or event, a second payment or a duplicate key falls back to
 * `CALL tn_confirm_credits(?)` (the items packed as sql/0009 reads them). After the answer
 * (FCGX_Finish_r) the credit, written already claimed for push, goes to an in-process queue drained by SYNC_THREADS
 * (4) threads, as Sources/PaymentsApp/Sync/SyncQueue.swift does: each pushes
 * `POST {RETAIL_API_URL}/m/customer/{uid}/transaction` over its own plain HTTP/1.1 keep-alive socket (a 404 makes it
 * create the customer, then send the transaction again, as RetailClient does) and records successes with ONE
 * batched UPDATE per 32 rows, or once the oldest success has waited 200 ms, one prepared statement per batch size
 * (each thread keeps its own list; SyncQueue shares one among its threads: under load both record full batches of 32).
 * So the project's rate divided by this one's is what the responder costs beyond the database's work.
 *
 * What it does NOT do: verify the Stripe-Signature (it only reads the header to store it, as the project does);
 * refunds, other event types, deadlock retries beyond three reruns, Retail failures (a failed push leaves the row
 * claimed until its lease runs out, for payments-sync). The JSON extraction is real: a small parser walks the body
 * to the event id and type, data.object.id, status, amount_received, currency and metadata.session_id/uid.
 * Session checks as StripeIntents.session: gateway 'stripe', metadata uid = session uid, external id absent or the
 * intent's. Unknown/mismatched session: the event row alone is recorded (outcome 'ignored').
 * GET /api/metrics answers payments_credit_batches_total and payments_credit_batch_items_total (its own batches and
 * the credits in them, the project's counters of the same names; a batch counts once whichever path ran it) and
 * payments_credit_batch_fallbacks_total (batches of 2..32 that ran the CALL fallback), which bench/webhooks reads
 * around its window.
 *
 * usage: contract <fcgi-socket> <mariadb-socket> <database> [threads=16]
 *   environment: RETAIL_API_URL (http://host:port/path), RETAIL_API_KEY, SYNC_THREADS (4)
 * Build: bench/reference/build.sh [out] contract   (gcc -O2 ... -lfcgi -lmariadb -lpthread).
 * Stops on SIGTERM/SIGINT like reference.c (requests in flight and queued pushes are dropped: a bench tool).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <mysql.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "responder.h"

/* ================================================================================================================
 * THE STATEMENTS — today's per-delivery shape of payments-fcgi (keep in step with Sources/PaymentsStore).
 * Order per delivery, each one round trip:
 *   1. a succeeded USD intent whose metadata names a session and a uid is a NAMED credit (NamedSessionCredit): no
 *      session look-up first; it joins the group commit at once, and its batch, of any size, takes the set-based fast
 *      path below, which reads and locks its session by public_id (SQL_FAST_NAMED_HEAD) and checks it as
 *      CreditBatchInsert.isAsNeeded does (gateway 'stripe', the metadata's uid, external id absent or the intent's,
 *      status neither paid nor refunded, no credit yet). When the fast path does not write its batch, the named
 *      credits are LEFT (nothing written; the worker then goes on as below, from 2) and the other credits of the
 *      batch run again on their own (run_batch).
 *   2. SQL_SESSION         autocommit, prepared, on the worker's connection (StripeIntents.session ->
 *      MariaDBLedger.session(publicID:))
 *   3. the credit (the 15 parameters of tn_confirm_credit, claim included) joins the group commit; the leader of its
 *      batch sends, on the leader's connection, ONE of:
 *      SQL_CONFIRM         batch of 1: prepared CALL of tn_confirm_credit (sql/0007, sql/0009): the event row, the
 *                          second-payment check under the session's row lock, the credit written claimed for push (or
 *                          the operator item), the session update and the COMMIT; its one result row says which.
 *      batch of 2..32, the SET-BASED FAST PATH, the items sorted by (gateway, event_id), each line one round trip per
 *      run of at most ROWS_PER_STATEMENT (16) rows (a batch of 20: 16 then 4, each kind in turn), every statement
 *      prepared once per connection and per row count n (tuples / placeholders joined by SQL_LIST_JOIN):
 *        SQL_BEGIN (text)
 *        SQL_FAST_EVENTS_HEAD + n x SQL_FAST_EVENTS_ROW        the event rows (outcome 'credited')
 *        SQL_FAST_LOCK_HEAD + k x "?" + SQL_FAST_LOCK_TAIL     the sessions' row locks, ids ascending, and the
 *                                                              second-payment check (k = credits with a session id);
 *                                                              a non-NULL value: ROLLBACK, fallback
 *        SQL_FAST_NAMED_HEAD + j x "?" + SQL_FAST_LOCK_TAIL    the named credits' sessions (j of them), public ids
 *                                                              ascending, read, locked and checked; one not as needed
 *                                                              (or missing): ROLLBACK, fallback
 *        SQL_FAST_CREDITS_HEAD + n x SQL_FAST_CREDITS_ROW + SQL_FAST_CREDITS_TAIL   the credits, written claimed for
 *                                                              push; RETURNING each row's id with its payment_id
 *        SQL_FAST_PAID_HEAD + k x "?" + SQL_FAST_PAID_TAIL     the session updates, once per distinct update
 *                                                              status (here always 'paid': one), ids ascending
 *        SQL_COMMIT (text)                                     every item: inserted, its row id
 *      Skipped (straight to the fallback) when two items share a session (id or public id), a payment_id or an
 *      event. Duplicate key
 *      (1062) or any other error: ROLLBACK, fallback. Deadlock / lock-wait timeout (1213/1205) in any step, COMMIT
 *      included: ROLLBACK and the fast path again from SQL_BEGIN, up to DEADLOCK_RERUNS times (then every item
 *      fails, as the CALL does); a lost connection: every item fails. The FALLBACK is the CALL path:
 *      SQL_CONFIRM_BATCH   prepared CALL of tn_confirm_credits with ONE LONGBLOB parameter, the items (same order)
 *                          packed as sql/0009's header says (each of the 15 fields `<byte length>:<bytes>`, `-1:` for
 *                          NULL, integers as decimal text): every item's step under its savepoint, ONE COMMIT; the one
 *                          result row's `results` holds `<answer> <row id or 0>;` per item, in order.
 *      Deadlock / lock-wait timeout (1213/1205): the same CALL again, up to DEADLOCK_RERUNS times. Any other error of
 *      a batch (the procedure rolled it all back): each item alone with SQL_CONFIRM.
 *   An event without a session (ignored) takes the statement path: SQL_BEGIN, SQL_EVENT, SQL_COMMIT.
 *   after FCGX_Finish_r, on a sync thread: the Retail push (up to PUSHES_IN_FLIGHT rows' calls in flight together, as
 *   SyncQueue does), then SQL_SYNCED_HEAD + n x SQL_SYNCED_MATCH joined by SQL_SYNCED_JOIN (SyncStore.markSynced, one
 *   statement per batch).
 * ================================================================================================================ */
static const char *const SQL_SESSION_SETUP[] = {
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = 20, "
    "sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
};
static const char SQL_SESSION[] =
    "SELECT id, public_id, gateway, external_id, uid, amount, currency, status, created_at, reconcile_attempts "
    "FROM payment_sessions WHERE public_id = ?";
static const char SQL_BEGIN[] = "START TRANSACTION";
static const char SQL_EVENT[] =
    "INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, "
    "outcome) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)";
static const char SQL_CONFIRM[] = "CALL tn_confirm_credit(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_CONFIRM_BATCH[] = "CALL tn_confirm_credits(?)";
static const char SQL_FAST_EVENTS_HEAD[] =
    "INSERT INTO webhook_events (gateway, event_id, event_type, payload, headers, received_at, processed_at, "
    "outcome) VALUES ";
static const char SQL_FAST_EVENTS_ROW[] = "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?)";
static const char SQL_FAST_LOCK_HEAD[] =
    "SELECT (SELECT t.payment_id FROM tn_payments t WHERE t.session_id = s.id AND t.refund_of IS NULL LIMIT 1) "
    "FROM payment_sessions s WHERE s.id IN (";
static const char SQL_FAST_LOCK_TAIL[] = ") FOR UPDATE";
static const char SQL_FAST_NAMED_HEAD[] =
    "SELECT s.id, s.public_id, s.gateway, s.uid, s.external_id, s.status, (SELECT t.payment_id FROM tn_payments t "
    "WHERE t.session_id = s.id AND t.refund_of IS NULL LIMIT 1) FROM payment_sessions s WHERE s.public_id IN (";
static const char SQL_FAST_CREDITS_HEAD[] =
    "INSERT INTO tn_payments (payment_id, uid, gateway, amount, is_synced, created_at, session_id, refund_of, "
    "sync_state, sync_attempts, next_sync_at, sync_claimed_until, sync_claim_token) VALUES ";
static const char SQL_FAST_CREDITS_ROW[] =
    "(?, ?, ?, ?, 0, UTC_TIMESTAMP(6), ?, NULL, 'pending', 0, UTC_TIMESTAMP(6) + INTERVAL 30 SECOND, "
    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)";
static const char SQL_FAST_CREDITS_TAIL[] = " RETURNING id, payment_id";
static const char SQL_FAST_PAID_HEAD[] =
    "UPDATE payment_sessions SET status = ?, updated_at = UTC_TIMESTAMP(6) WHERE id IN (";
static const char SQL_FAST_PAID_TAIL[] = ")";
static const char SQL_LIST_JOIN[] = ", ";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SYNCED_HEAD[] =
    "UPDATE tn_payments SET is_synced = 1, sync_state = 'synced', synced_at = UTC_TIMESTAMP(6), "
    "sync_claimed_until = NULL, sync_claim_token = NULL, last_sync_error = NULL WHERE ";
static const char SQL_SYNCED_MATCH[] = "(id = ? AND sync_claim_token = ?)";
static const char SQL_SYNCED_JOIN[] = " OR ";
enum { PUSH_LEASE_SECONDS = 60, SYNCED_BATCH_LIMIT = 32, SYNCED_FLUSH_DELAY_MS = 200, QUEUE_SIZE = 1024, DEADLOCK_RERUNS = 3 };
enum { BATCH_LIMIT = 32, BATCHES_IN_FLIGHT = 2, COMPANY_MINIMUM = 2 };
enum { CREDIT_PARAMS = 15, ROWS_PER_STATEMENT = 16, PUSHES_IN_FLIGHT = 8 };
/* ============================================================================================================= */

/* ------------------------------------------------------------------------------------------------ database */

static MYSQL *connect_db(void) {
    MYSQL *db = responder_connect("contract");
    if (db == NULL) return NULL;
    for (size_t i = 0; i < sizeof SQL_SESSION_SETUP / sizeof SQL_SESSION_SETUP[0]; i++) {
        if (mysql_query(db, SQL_SESSION_SETUP[i]) != 0) {
            fprintf(stderr, "contract: session setup failed: %s\n", mysql_error(db));
            mysql_close(db);
            return NULL;
        }
    }
    return db;
}

static MYSQL_STMT *prepare(MYSQL *db, const char *sql) {
    MYSQL_STMT *stmt = mysql_stmt_init(db);
    if (stmt == NULL) return NULL;
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
        fprintf(stderr, "contract: prepare failed: %s\n", mysql_stmt_error(stmt));
        mysql_stmt_close(stmt);
        return NULL;
    }
    return stmt;
}

static void bind_text(MYSQL_BIND *b, const char *text, unsigned long *len) {
    memset(b, 0, sizeof *b);
    *len = (unsigned long)strlen(text);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)text;
    b->buffer_length = *len;
    b->length = len;
}

static void bind_bytes(MYSQL_BIND *b, const void *bytes, unsigned long *len) {
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_BLOB;
    b->buffer = (void *)bytes;
    b->buffer_length = *len;
    b->length = len;
}

static void bind_int(MYSQL_BIND *b, long long *value) {
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = value;
}

/* ------------------------------------------------------------------------------------------------ JSON */
/* A minimal JSON walker: enough to find members of objects and read strings and integers, with full skipping of
 * every value type, so a member is only found at the level asked for. */

static const char *ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static const char *skip_string(const char *p, const char *end) { /* p at the opening quote */
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *end, int depth) {
    p = ws(p, end);
    if (p >= end || depth > 64) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= end || *p != '"' || (p = skip_string(p, end)) == NULL) return NULL;
                p = ws(p, end);
                if (p >= end || *p != ':') return NULL;
                p++;
            }
            if ((p = skip_value(p, end, depth + 1)) == NULL) return NULL;
            p = ws(p, end);
            if (p < end && *p == ',') {
                p = ws(p + 1, end);
                continue;
            }
            if (p < end && *p == close) return p + 1;
            return NULL;
        }
    }
    while (p < end && (*p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                       *p == 'E'))
        p++;
    return p;
}

/* The value of member `key` of the object starting at `obj` (its '{'), or NULL. Keys are compared raw (the keys
 * looked for have no escapes). */
static const char *member(const char *obj, const char *end, const char *key) {
    if (obj == NULL) return NULL;
    const char *p = ws(obj, end);
    if (p >= end || *p != '{') return NULL;
    p = ws(p + 1, end);
    size_t key_len = strlen(key);
    while (p < end && *p == '"') {
        const char *name = p + 1;
        const char *after = skip_string(p, end);
        if (after == NULL) return NULL;
        int match = (size_t)(after - 1 - name) == key_len && memcmp(name, key, key_len) == 0;
        p = ws(after, end);
        if (p >= end || *p != ':') return NULL;
        p = ws(p + 1, end);
        if (match) return p;
        if ((p = skip_value(p, end, 1)) == NULL) return NULL;
        p = ws(p, end);
        if (p < end && *p == ',') p = ws(p + 1, end);
    }
    return NULL;
}

/* Copies the string value at p (decoding the simple escapes and \u00XX) into out; 0 on success. */
static int string_at(const char *p, const char *end, char *out, size_t cap) {
    if (p == NULL || p >= end || *p != '"') return -1;
    size_t n = 0;
    for (p++; p < end && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            if (++p >= end) return -1;
            switch (*p) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                if (end - p < 5 || p[1] != '0' || p[2] != '0') return -1; /* ids and uids are ASCII */
                c = (char)strtol((char[]){p[3], p[4], 0}, NULL, 16);
                p += 4;
                break;
            }
            default: c = *p;
            }
        }
        if (n + 1 >= cap) return -1;
        out[n++] = c;
    }
    if (p >= end) return -1;
    out[n] = 0;
    return 0;
}

static int int_at(const char *p, const char *end, long long *out) {
    if (p == NULL || p >= end) return -1;
    char *stop;
    errno = 0;
    *out = strtoll(p, &stop, 10);
    return (errno != 0 || stop == p || stop > end) ? -1 : 0;
}

typedef struct {
    char event_id[256], event_type[129], intent_id[256], status[32], currency[8], session_public_id[64], uid[129];
    long long amount;
} Event;

static int parse_event(const char *body, size_t len, Event *e) {
    const char *end = body + len;
    if (skip_value(body, end, 0) == NULL) return -1; /* the whole body must be one well-formed value */
    const char *data = member(body, end, "data");
    const char *intent = member(data, end, "object");
    const char *metadata = member(intent, end, "metadata");
    if (string_at(member(body, end, "id"), end, e->event_id, sizeof e->event_id) != 0) return -1;
    if (string_at(member(body, end, "type"), end, e->event_type, sizeof e->event_type) != 0) return -1;
    if (string_at(member(intent, end, "id"), end, e->intent_id, sizeof e->intent_id) != 0) return -1;
    if (string_at(member(intent, end, "status"), end, e->status, sizeof e->status) != 0) return -1;
    if (string_at(member(intent, end, "currency"), end, e->currency, sizeof e->currency) != 0) return -1;
    if (int_at(member(intent, end, "amount_received"), end, &e->amount) != 0) return -1;
    if (string_at(member(metadata, end, "session_id"), end, e->session_public_id, sizeof e->session_public_id) != 0)
        e->session_public_id[0] = 0;
    if (string_at(member(metadata, end, "uid"), end, e->uid, sizeof e->uid) != 0) e->uid[0] = 0;
    return 0;
}

/* ------------------------------------------------------------------------------------------------ sync queue */

typedef struct {
    long long id, token, amount;
    char payment_id[256], uid[129];
} Claimed;

static Claimed queue[QUEUE_SIZE];
static int q_head, q_count;
static pthread_mutex_t q_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_ready = PTHREAD_COND_INITIALIZER;
static unsigned long long dropped, push_failures;
static int draining; /* sync threads pushing rows they took; they look at the queue again before they wait */

/* Queues a claimed row; wakes a waiting sync thread only when none is draining or more rows wait than the draining
 * ones take per round (SyncQueue.enqueue). */
static void enqueue(const Claimed *row) {
    pthread_mutex_lock(&q_mutex);
    if (q_count == QUEUE_SIZE) {
        dropped++; /* left claimed; the lease runs out and payments-sync takes it */
    } else {
        queue[(q_head + q_count) % QUEUE_SIZE] = *row;
        q_count++;
        if (draining == 0 || q_count > PUSHES_IN_FLIGHT * draining) pthread_cond_signal(&q_ready);
    }
    pthread_mutex_unlock(&q_mutex);
}

/* ------------------------------------------------------------------------------------------------ Retail HTTP */

static char retail_host[256], retail_path[512], retail_key[256];
static int retail_port = 80;

typedef struct {
    int fd;
    int used; /* a request was written on this connection before */
    int kept; /* the request being answered went on a connection used before */
    char buf[16384];
    size_t have;
} HTTPConn;

static int http_connect(HTTPConn *c) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)retail_port)};
    if (inet_pton(AF_INET, retail_host, &addr.sin_addr) != 1) return -1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->have = 0;
    c->used = 0;
    return 0;
}

static void http_close(HTTPConn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->have = 0;
}

/* Writes one POST on the keep-alive connection (connecting first when it has none); 0, or -1 (connection closed). */
static int http_send(HTTPConn *c, const char *path, const char *body) {
    char request[2048];
    int n = snprintf(request, sizeof request,
                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nX-Api-Key: %s\r\nAccept: application/json\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     path, retail_host, retail_port, retail_key, strlen(body), body);
    if (n <= 0 || (size_t)n >= sizeof request) return -1;
    if (c->fd < 0 && http_connect(c) != 0) return -1;
    c->kept = c->used;
    c->used = 1;
    if (send(c->fd, request, (size_t)n, MSG_NOSIGNAL) != n) {
        http_close(c);
        return -1;
    }
    return 0;
}

/* Reads the answer to the request written on c: its status; -2 when a kept connection ended before any byte of it
 * (stale: send again on a new one), -1 on any other failure. */
static int http_receive(HTTPConn *c) {
    /* Read the head, then Content-Length bytes of body (the sandbox and Retail answer with a length). */
    c->have = 0;
    char *head_end = NULL;
    while (head_end == NULL) {
        ssize_t got = recv(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have, 0);
        if (got <= 0) break;
        c->have += (size_t)got;
        c->buf[c->have] = 0;
        head_end = strstr(c->buf, "\r\n\r\n");
    }
    if (head_end == NULL) {
        int stale = c->have == 0 && c->kept;
        http_close(c);
        return stale ? -2 : -1;
    }
    int status = 0;
    if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1) {
        http_close(c);
        return -1;
    }
    size_t length = 0;
    int keep = 1;
    for (char *line = strstr(c->buf, "\r\n"); line != NULL && line < head_end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-length:", 15) == 0) length = strtoul(line + 17, NULL, 10);
        if (strncasecmp(line + 2, "connection: close", 17) == 0) keep = 0;
    }
    size_t need = (size_t)(head_end + 4 - c->buf) + length;
    if (need >= sizeof c->buf) {
        http_close(c);
        return -1;
    }
    while (c->have < need) {
        ssize_t got = recv(c->fd, c->buf + c->have, need - c->have, 0);
        if (got <= 0) {
            http_close(c);
            return -1;
        }
        c->have += (size_t)got;
    }
    if (!keep) http_close(c);
    return status;
}

/* One POST and its answer (on a new connection once when the kept one was stale); the status or -1. */
static int http_post(HTTPConn *c, const char *path, const char *body) {
    for (int attempt = 0; attempt < 2; attempt++) {
        if (http_send(c, path, body) != 0) continue;
        int status = http_receive(c);
        if (status != -2) return status;
    }
    return -1;
}

static void url_escape(const char *in, char *out, size_t cap) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < cap; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = 0;
}

/* The transaction call of a row: its path and body. */
static void transaction_call(const Claimed *row, char *path, size_t path_cap, char *body, size_t body_cap) {
    char uid[400];
    url_escape(row->uid, uid, sizeof uid);
    snprintf(path, path_cap, "%s/m/customer/%s/transaction", retail_path, uid);
    snprintf(body, body_cap, "{\"transaction_id\":\"%s\",\"amount\":%lld}", row->payment_id, row->amount);
}

/* What the transaction call's status means for the row, creating the customer on 404 and sending the transaction
 * once more (RetailClient.push). 1 = synced. */
static int transaction_outcome(HTTPConn *c, const Claimed *row, const char *path, const char *body, int status) {
    if (status == 404) {
        char customer[256], customer_path[600];
        snprintf(customer, sizeof customer, "{\"customer_id\":\"%s\"}", row->uid);
        snprintf(customer_path, sizeof customer_path, "%s/m/customer", retail_path);
        int created = http_post(c, customer_path, customer);
        if (!((created >= 200 && created < 300) || created == 409)) return 0;
        status = http_post(c, path, body);
    }
    return (status >= 200 && status < 300) || status == 409;
}

/* RetailClient.push of n rows: every transaction call written, each on its own connection, before the first answer
 * is read (SocketHTTPTransport.send(all:)); then each answer in order. synced[i] = 1 when row i is synced. */
static void retail_push_all(HTTPConn *conns, const Claimed *rows, int n, int *synced) {
    char paths[PUSHES_IN_FLIGHT][1024], bodies[PUSHES_IN_FLIGHT][512];
    int sent[PUSHES_IN_FLIGHT];
    for (int i = 0; i < n; i++) {
        transaction_call(&rows[i], paths[i], sizeof paths[i], bodies[i], sizeof bodies[i]);
        sent[i] = http_send(&conns[i], paths[i], bodies[i]) == 0;
    }
    for (int i = 0; i < n; i++) {
        int status = sent[i] ? http_receive(&conns[i]) : -2;
        if (status == -2) status = http_post(&conns[i], paths[i], bodies[i]); /* stale or unsent: alone, afresh */
        synced[i] = transaction_outcome(&conns[i], &rows[i], paths[i], bodies[i], status);
    }
}

/* ------------------------------------------------------------------------------------------------ sync threads */

static void flush_synced(MYSQL **db, MYSQL_STMT **batch, Claimed *rows, int n) {
    if (n == 0) return;
    if (*db == NULL && (*db = connect_db()) == NULL) return;
    if (batch[n] == NULL) {
        char sql[sizeof SQL_SYNCED_HEAD + SYNCED_BATCH_LIMIT * (sizeof SQL_SYNCED_MATCH + sizeof SQL_SYNCED_JOIN)];
        strcpy(sql, SQL_SYNCED_HEAD);
        for (int i = 0; i < n; i++) {
            if (i) strcat(sql, SQL_SYNCED_JOIN);
            strcat(sql, SQL_SYNCED_MATCH);
        }
        if ((batch[n] = prepare(*db, sql)) == NULL) return;
    }
    MYSQL_BIND binds[2 * SYNCED_BATCH_LIMIT];
    for (int i = 0; i < n; i++) {
        bind_int(&binds[2 * i], &rows[i].id);
        bind_int(&binds[2 * i + 1], &rows[i].token);
    }
    if (mysql_stmt_bind_param(batch[n], binds) != 0 || mysql_stmt_execute(batch[n]) != 0) {
        fprintf(stderr, "contract: synced update failed: %s\n", mysql_stmt_error(batch[n]));
    }
}

/* Milliseconds on CLOCK_REALTIME, the clock q_ready's timed waits use. */
static long long realtime_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* One sync thread: takes up to PUSHES_IN_FLIGHT queued rows at once and pushes them together (SyncQueue.drain). */
static void *sync_worker(void *arg) {
    (void)arg;
    mysql_thread_init();
    MYSQL *db = NULL;
    MYSQL_STMT *batch[SYNCED_BATCH_LIMIT + 1] = {0};
    Claimed synced[SYNCED_BATCH_LIMIT];
    int n_synced = 0;
    long long flush_by = 0;
    HTTPConn conns[PUSHES_IN_FLIGHT];
    for (int i = 0; i < PUSHES_IN_FLIGHT; i++) conns[i] = (HTTPConn){.fd = -1};
    for (;;) {
        pthread_mutex_lock(&q_mutex);
        while (q_count == 0) {
            if (n_synced == 0) {
                pthread_cond_wait(&q_ready, &q_mutex);
            } else if (realtime_ms() >= flush_by) {
                /* Nothing more came before the oldest success was due: record them, as SyncQueue does. */
                pthread_mutex_unlock(&q_mutex);
                flush_synced(&db, batch, synced, n_synced);
                n_synced = 0;
                pthread_mutex_lock(&q_mutex);
            } else {
                struct timespec until = {.tv_sec = flush_by / 1000, .tv_nsec = (flush_by % 1000) * 1000000};
                pthread_cond_timedwait(&q_ready, &q_mutex, &until);
            }
        }
        Claimed rows[PUSHES_IN_FLIGHT];
        int taken = 0;
        while (q_count > 0 && taken < PUSHES_IN_FLIGHT) {
            rows[taken++] = queue[q_head];
            q_head = (q_head + 1) % QUEUE_SIZE;
            q_count--;
        }
        draining++;
        pthread_mutex_unlock(&q_mutex);

        int ok[PUSHES_IN_FLIGHT];
        retail_push_all(conns, rows, taken, ok);
        for (int i = 0; i < taken; i++) {
            if (!ok[i]) {
                __atomic_add_fetch(&push_failures, 1, __ATOMIC_RELAXED);
                continue;
            }
            if (n_synced == 0) flush_by = realtime_ms() + SYNCED_FLUSH_DELAY_MS;
            synced[n_synced++] = rows[i];
            if (n_synced == SYNCED_BATCH_LIMIT) {
                flush_synced(&db, batch, synced, n_synced);
                n_synced = 0;
            }
        }
        if (n_synced > 0 && realtime_ms() >= flush_by) {
            flush_synced(&db, batch, synced, n_synced);
            n_synced = 0;
        }
        pthread_mutex_lock(&q_mutex);
        draining--;
        pthread_mutex_unlock(&q_mutex);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ workers */

typedef struct {
    MYSQL *db;
    MYSQL_STMT *session, *event, *confirm, *confirm_batch;
    /* The fast path's statements, one per batch size n (index n), prepared on first use on this connection. */
    MYSQL_STMT *fast_events[ROWS_PER_STATEMENT + 1], *fast_lock[ROWS_PER_STATEMENT + 1],
        *fast_credits[ROWS_PER_STATEMENT + 1], *fast_paid[ROWS_PER_STATEMENT + 1],
        *fast_named[ROWS_PER_STATEMENT + 1];
    unsigned long long rng;
    char *pack; /* the packed items of this worker's batches, grown as needed */
    size_t pack_cap;
} Worker;

static void close_stmt(MYSQL_STMT **slot) {
    if (*slot != NULL) mysql_stmt_close(*slot);
    *slot = NULL;
}

static void drop_db(Worker *w) {
    MYSQL_STMT **all[] = {&w->session, &w->event, &w->confirm, &w->confirm_batch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) close_stmt(all[i]);
    for (int n = 0; n <= ROWS_PER_STATEMENT; n++) {
        close_stmt(&w->fast_events[n]);
        close_stmt(&w->fast_lock[n]);
        close_stmt(&w->fast_credits[n]);
        close_stmt(&w->fast_paid[n]);
        close_stmt(&w->fast_named[n]);
    }
    if (w->db != NULL) mysql_close(w->db);
    w->db = NULL;
}

/* Drops the connection when the server went away, so the next use reconnects. */
static void drop_db_if_lost(Worker *w, unsigned int err) {
    if (err == 2006 || err == 2013) drop_db(w);
}

/* Statements are prepared on first use, once per connection, like payments-fcgi's statement cache. */
static MYSQL_STMT *stmt(Worker *w, MYSQL_STMT **slot, const char *sql) {
    if (w->db == NULL && (w->db = connect_db()) == NULL) return NULL;
    if (*slot == NULL) *slot = prepare(w->db, sql);
    return *slot;
}

static long long next_token(Worker *w) { /* PushClaim.begin(): a random positive 63-bit token */
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (long long)(w->rng >> 1) | 1;
}

typedef struct {
    long long id;
    char gateway[33], external_id[256], uid[129];
    int external_null;
} Session;

/* Step 1: the session by public id (autocommit). 1 found, 0 not found, -1 error. */
static int find_session(Worker *w, const char *public_id, Session *s) {
    MYSQL_STMT *st = stmt(w, &w->session, SQL_SESSION);
    if (st == NULL) return -1;
    unsigned long id_len;
    MYSQL_BIND param;
    bind_text(&param, public_id, &id_len);
    /* All ten columns are bound, as the project decodes the whole row. */
    char public_buf[64], currency[8], status[16];
    long long amount = 0, attempts = 0;
    MYSQL_TIME created;
    unsigned long lens[10];
    my_bool nulls[10];
    MYSQL_BIND out[10];
    memset(out, 0, sizeof out);
    out[0].buffer_type = MYSQL_TYPE_LONGLONG, out[0].buffer = &s->id;
    out[1].buffer_type = MYSQL_TYPE_STRING, out[1].buffer = public_buf, out[1].buffer_length = sizeof public_buf;
    out[2].buffer_type = MYSQL_TYPE_STRING, out[2].buffer = s->gateway, out[2].buffer_length = sizeof s->gateway;
    out[3].buffer_type = MYSQL_TYPE_STRING, out[3].buffer = s->external_id,
    out[3].buffer_length = sizeof s->external_id;
    out[4].buffer_type = MYSQL_TYPE_STRING, out[4].buffer = s->uid, out[4].buffer_length = sizeof s->uid;
    out[5].buffer_type = MYSQL_TYPE_LONGLONG, out[5].buffer = &amount;
    out[6].buffer_type = MYSQL_TYPE_STRING, out[6].buffer = currency, out[6].buffer_length = sizeof currency;
    out[7].buffer_type = MYSQL_TYPE_STRING, out[7].buffer = status, out[7].buffer_length = sizeof status;
    out[8].buffer_type = MYSQL_TYPE_DATETIME, out[8].buffer = &created;
    out[9].buffer_type = MYSQL_TYPE_LONGLONG, out[9].buffer = &attempts;
    for (int i = 0; i < 10; i++) out[i].length = &lens[i], out[i].is_null = &nulls[i];
    if (mysql_stmt_bind_param(st, &param) != 0 || mysql_stmt_execute(st) != 0 || mysql_stmt_bind_result(st, out) != 0)
        return -1;
    int rc = mysql_stmt_fetch(st);
    int found = rc == 0 || rc == MYSQL_DATA_TRUNCATED;
    if (rc == 1) return -1;
    while (rc == 0 || rc == MYSQL_DATA_TRUNCATED) rc = mysql_stmt_fetch(st);
    mysql_stmt_free_result(st);
    if (found) {
        s->gateway[lens[2] < sizeof s->gateway ? lens[2] : sizeof s->gateway - 1] = 0;
        s->external_null = nulls[3];
        s->external_id[nulls[3] ? 0 : (lens[3] < sizeof s->external_id ? lens[3] : sizeof s->external_id - 1)] = 0;
        s->uid[lens[4] < sizeof s->uid ? lens[4] : sizeof s->uid - 1] = 0;
    }
    return found;
}

enum { DONE = 0, DUPLICATE = 1, RERUN = 2, LOST = 3, LEFT = 4, FAILED = -1 };

/* A deadlock or a lock-wait timeout: the transaction was rolled back and may simply run again. */
static int is_deadlock(unsigned int err) { return err == 1213 || err == 1205; }

static int rollback_for(Worker *w, unsigned int err) {
    mysql_query(w->db, SQL_ROLLBACK);
    return is_deadlock(err) ? RERUN : FAILED;
}

/* An ignored event (no session of ours): the event row alone, on the statement path. */
static int record_ignored(Worker *w, const Event *e, const char *body, unsigned long body_len,
                          const char *headers_json) {
    unsigned long l[6];
    MYSQL_BIND b[6];
    if (mysql_query(w->db, SQL_BEGIN) != 0) return FAILED;
    MYSQL_STMT *st = stmt(w, &w->event, SQL_EVENT);
    if (st == NULL) return rollback_for(w, 0);
    bind_text(&b[0], "stripe", &l[0]);
    bind_text(&b[1], e->event_id, &l[1]);
    bind_text(&b[2], e->event_type, &l[2]);
    l[3] = body_len;
    bind_bytes(&b[3], body, &l[3]);
    bind_text(&b[4], headers_json, &l[4]);
    bind_text(&b[5], "ignored", &l[5]);
    if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
        unsigned int err = mysql_stmt_errno(st);
        if (err == 1062) {
            mysql_query(w->db, SQL_ROLLBACK);
            return DUPLICATE;
        }
        return rollback_for(w, err);
    }
    return mysql_query(w->db, SQL_COMMIT) != 0 ? FAILED : DONE;
}

/* ------------------------------------------------------------------------------------------------ group commit */
/* The credits of workers that arrive together are confirmed in one transaction (payments-fcgi's GroupCommit and
 * CreditConfirmationGroup). A worker that finds nothing queued and no batch running leads at once a batch of its own
 * credit alone; otherwise it queues its credit and sleeps on its own condition variable (on group.mutex), woken
 * exactly once: when the leader that ran its batch has written its answer, or when it is appointed to lead a batch
 * (the queued credits, oldest first, at most BATCH_LIMIT; it is the oldest of them), which it then runs on its own
 * connection. A batch is appointed when one ends, or beside a running one (at most BATCHES_IN_FLIGHT) once
 * COMPANY_MINIMUM credits are queued (appoint). Invariant outside the lock: the queue is empty or a batch runs
 * (appointed ones included), so nothing queued waits without a leader to come. */

/* One credit: the 15 parameters of tn_confirm_credit (the constant ones are written in credit_params), the answer
 * its batch's leader wrote (the procedure's answer, "" when the database failed, and the new row's id or 0), and the
 * group commit's hand-over, read and written under group.mutex: its own wake-up, whether it is answered, and the
 * batch it was appointed to lead. */
typedef struct Credit {
    const char *event_id, *event_type, *body, *headers_json, *payment_id, *uid;
    const char *public_id; /* a named credit's session, found by the fast path (session_id is 0 until then) */
    int named;
    unsigned long body_len;
    long long amount, session_id, token;
    char answer[20];
    long long row_id;
    pthread_cond_t wake;
    int answered, lead_n;
    struct Credit *lead[BATCH_LIMIT];
    struct Credit *next;
} Credit;

static struct {
    pthread_mutex_t mutex;
    Credit *head, *tail; /* the queued credits, oldest first */
    int queued;          /* how many */
    int in_flight;       /* batches running or appointed */
    unsigned long long batches, items, fallbacks; /* GET /api/metrics */
} group = {.mutex = PTHREAD_MUTEX_INITIALIZER};

/* One parameter of tn_confirm_credit: bytes (text or the payload), or an integer. */
typedef struct {
    const char *bytes;
    unsigned long len;
    long long number;
    int is_number, is_blob;
} Param;

static void param_text(Param *p, const char *text) { *p = (Param){.bytes = text, .len = (unsigned long)strlen(text)}; }

static void param_number(Param *p, long long number) { *p = (Param){.number = number, .is_number = 1}; }

/* The 15 parameters of tn_confirm_credit for a credit, in the procedure's order. */
static void credit_params(const Credit *c, Param p[CREDIT_PARAMS]) {
    param_text(&p[0], "stripe"); /* p_gateway */
    param_text(&p[1], c->event_id); /* p_event_id */
    param_text(&p[2], c->event_type); /* p_event_type */
    p[3] = (Param){.bytes = c->body, .len = c->body_len, .is_blob = 1}; /* p_payload */
    param_text(&p[4], c->headers_json); /* p_headers */
    param_text(&p[5], "credited"); /* p_outcome */
    param_text(&p[6], c->payment_id); /* p_payment_id */
    param_text(&p[7], c->uid); /* p_uid */
    param_text(&p[8], "stripe"); /* p_entry_gateway */
    param_number(&p[9], c->amount); /* p_amount */
    param_number(&p[10], c->session_id); /* p_session_id */
    param_number(&p[11], PUSH_LEASE_SECONDS); /* p_claim_seconds */
    param_number(&p[12], c->token); /* p_claim_token */
    param_number(&p[13], c->session_id); /* p_update_session_id */
    param_text(&p[14], "paid"); /* p_update_status */
}

/* Reads the one result row of a prepared CALL into `out`, then the CALL's final status, so the connection is ready
 * for the next statement. 1 = a row was read, 0 = none or truncated, -1 = error. */
static int call_row(MYSQL_STMT *st, MYSQL_BIND *out) {
    if (mysql_stmt_bind_result(st, out) != 0) return -1;
    int rc = mysql_stmt_fetch(st);
    int fetched = rc == 0;
    while (rc == 0 || rc == MYSQL_DATA_TRUNCATED) rc = mysql_stmt_fetch(st);
    mysql_stmt_free_result(st);
    while (mysql_stmt_more_results(st)) {
        int next = mysql_stmt_next_result(st);
        if (next > 0) return -1;
        if (next < 0) break;
        if (mysql_stmt_field_count(st) > 0) {
            mysql_stmt_store_result(st);
            mysql_stmt_free_result(st);
        }
    }
    return fetched;
}

/* A batch of one: CALL tn_confirm_credit(15 params), rerun on deadlock; the answer goes into c. */
static void confirm_one(Worker *w, Credit *c) {
    c->answer[0] = 0;
    c->row_id = 0;
    Param p[CREDIT_PARAMS];
    credit_params(c, p);
    for (int run = 0; run <= DEADLOCK_RERUNS; run++) {
        MYSQL_STMT *st = stmt(w, &w->confirm, SQL_CONFIRM);
        if (st == NULL) return;
        MYSQL_BIND b[CREDIT_PARAMS];
        for (int i = 0; i < CREDIT_PARAMS; i++) {
            if (p[i].is_number) {
                bind_int(&b[i], &p[i].number);
            } else {
                bind_bytes(&b[i], p[i].bytes, &p[i].len);
                if (!p[i].is_blob) b[i].buffer_type = MYSQL_TYPE_STRING;
            }
        }
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
            /* The procedure rolled back before the error reached us: a deadlock is simply run again. */
            unsigned int err = mysql_stmt_errno(st);
            drop_db_if_lost(w, err);
            if (is_deadlock(err)) continue;
            return;
        }
        char result[sizeof c->answer] = {0};
        long long row_id = 0;
        unsigned long result_len = 0, row_len = 0;
        my_bool result_null = 1, row_null = 1;
        MYSQL_BIND out[2];
        memset(out, 0, sizeof out);
        out[0].buffer_type = MYSQL_TYPE_STRING, out[0].buffer = result, out[0].buffer_length = sizeof result - 1;
        out[0].length = &result_len, out[0].is_null = &result_null;
        out[1].buffer_type = MYSQL_TYPE_LONGLONG, out[1].buffer = &row_id, out[1].length = &row_len;
        out[1].is_null = &row_null;
        if (call_row(st, out) == 1 && !result_null) {
            memcpy(c->answer, result, sizeof c->answer);
            c->row_id = row_null ? 0 : row_id;
        }
        return;
    }
}

/* Appends `<decimal byte length>:<bytes>` (or `-1:` for NULL) at w->pack + *at; the room was reserved. */
static void pack_field(Worker *w, size_t *at, const Param *p) {
    char number[24];
    const char *bytes = p->bytes;
    unsigned long len = p->len;
    if (p->is_number) {
        len = (unsigned long)snprintf(number, sizeof number, "%lld", p->number);
        bytes = number;
    }
    if (bytes == NULL) {
        memcpy(w->pack + *at, "-1:", 3);
        *at += 3;
        return;
    }
    *at += (size_t)snprintf(w->pack + *at, 24, "%lu:", len);
    memcpy(w->pack + *at, bytes, len);
    *at += len;
}

/* Parses `<answer> <row id or 0>;` for each credit of the batch; 0 when all were read. */
static int parse_results(const char *results, Credit **batch, int n) {
    const char *p = results;
    for (int i = 0; i < n; i++) {
        const char *space = strchr(p, ' ');
        if (space == NULL || (size_t)(space - p) >= sizeof batch[i]->answer) return -1;
        char *stop;
        long long row_id = strtoll(space + 1, &stop, 10);
        if (*stop != ';') return -1;
        memcpy(batch[i]->answer, p, (size_t)(space - p));
        batch[i]->answer[space - p] = 0;
        batch[i]->row_id = row_id;
        p = stop + 1;
    }
    return 0;
}

enum { BATCH_NOT_SENT = -1, BATCH_UNREADABLE = -2 };

/* A batch of 2..BATCH_LIMIT: one CALL tn_confirm_credits(packed items); 0, the server's error number, BATCH_NOT_SENT
 * (nothing reached the server) or BATCH_UNREADABLE (it ran, but its answer could not be read). */
static int confirm_many(Worker *w, Credit **batch, int n) {
    Param p[BATCH_LIMIT][CREDIT_PARAMS];
    size_t need = 1;
    for (int i = 0; i < n; i++) {
        credit_params(batch[i], p[i]);
        for (int f = 0; f < CREDIT_PARAMS; f++) need += 24 + (p[i][f].is_number ? 24 : p[i][f].len);
    }
    if (need > w->pack_cap) {
        char *grown = realloc(w->pack, need);
        if (grown == NULL) return BATCH_NOT_SENT;
        w->pack = grown;
        w->pack_cap = need;
    }
    size_t at = 0;
    for (int i = 0; i < n; i++)
        for (int f = 0; f < CREDIT_PARAMS; f++) pack_field(w, &at, &p[i][f]);
    MYSQL_STMT *st = stmt(w, &w->confirm_batch, SQL_CONFIRM_BATCH);
    if (st == NULL) return BATCH_NOT_SENT;
    unsigned long items_len = (unsigned long)at;
    MYSQL_BIND item_bind;
    bind_bytes(&item_bind, w->pack, &items_len);
    if (mysql_stmt_bind_param(st, &item_bind) != 0 || mysql_stmt_execute(st) != 0) {
        unsigned int err = mysql_stmt_errno(st);
        if (!is_deadlock(err)) fprintf(stderr, "contract: a batch of %d failed: %u %s\n", n, err, mysql_stmt_error(st));
        drop_db_if_lost(w, err);
        return err != 0 ? (int)err : BATCH_NOT_SENT;
    }
    char results[BATCH_LIMIT * 48 + 1] = {0};
    unsigned long results_len = 0;
    my_bool results_null = 1;
    MYSQL_BIND out;
    memset(&out, 0, sizeof out);
    out.buffer_type = MYSQL_TYPE_STRING, out.buffer = results, out.buffer_length = sizeof results - 1;
    out.length = &results_len, out.is_null = &results_null;
    if (call_row(st, &out) != 1 || results_null || parse_results(results, batch, n) != 0) {
        fprintf(stderr, "contract: a batch of %d ran, but its answer is unreadable: '%.80s'\n", n, results);
        return BATCH_UNREADABLE;
    }
    return 0;
}

/* A batch of 2..BATCH_LIMIT the CALL way (the fast path's fallback): tn_confirm_credits, rerun on deadlock; when it
 * failed otherwise (rolled back as a whole), each item alone. */
static void confirm_call(Worker *w, Credit **batch, int n) {
    int err = 0;
    for (int run = 0; run <= DEADLOCK_RERUNS; run++) {
        err = confirm_many(w, batch, n);
        if (err == 0 || !is_deadlock((unsigned int)err)) break;
    }
    if (err == 0) return;
    for (int i = 0; i < n; i++) batch[i]->answer[0] = 0, batch[i]->row_id = 0;
    /* Deadlocked every time, or ran without a readable answer: every item fails (503; the gateway sends it again). */
    if (err == BATCH_UNREADABLE || (err > 0 && is_deadlock((unsigned int)err))) return;
    for (int i = 0; i < n; i++) confirm_one(w, batch[i]); /* rolled back as a whole: each alone */
}

/* The fast path's statement for n items: head, n x piece joined by SQL_LIST_JOIN, tail; prepared once per connection
 * and batch size. */
static MYSQL_STMT *fast_stmt(Worker *w, MYSQL_STMT **slot, const char *head, const char *piece, int n,
                             const char *tail) {
    if (*slot != NULL) return *slot;
    char sql[sizeof SQL_FAST_CREDITS_HEAD + BATCH_LIMIT * (sizeof SQL_FAST_CREDITS_ROW + sizeof SQL_LIST_JOIN) +
             sizeof SQL_FAST_CREDITS_TAIL];
    size_t at = (size_t)snprintf(sql, sizeof sql, "%s", head);
    for (int i = 0; i < n && at < sizeof sql; i++)
        at += (size_t)snprintf(sql + at, sizeof sql - at, "%s%s", i > 0 ? SQL_LIST_JOIN : "", piece);
    if (at >= sizeof sql || (size_t)snprintf(sql + at, sizeof sql - at, "%s", tail) >= sizeof sql - at) return NULL;
    return stmt(w, slot, sql);
}

/* Gives up the fast path's transaction: ROLLBACK; RERUN after a deadlock or lock-wait timeout, LOST when the
 * connection is gone (every item fails, as DatabaseSession.transaction maps it: no fallback on an unknown outcome),
 * else FAILED (the fallback runs). */
static int fast_abandon(Worker *w, unsigned int err) {
    if (err != 0 && err != 1062 && !is_deadlock(err)) fprintf(stderr, "contract: fast path failed: %u\n", err);
    int result = rollback_for(w, err);
    if (err == 2006 || err == 2013) result = LOST;
    drop_db_if_lost(w, err);
    return result;
}

/* Reads every row of an executed statement into `out`, calling `row` for each; 0, or the error number. */
static unsigned int fetch_rows(MYSQL_STMT *st, MYSQL_BIND *out, void (*row)(void *), void *context) {
    if (mysql_stmt_bind_result(st, out) != 0) return mysql_stmt_errno(st) != 0 ? mysql_stmt_errno(st) : 2000;
    int rc;
    while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) row(context);
    unsigned int err = rc == 1 ? (mysql_stmt_errno(st) != 0 ? mysql_stmt_errno(st) : 2000) : 0;
    mysql_stmt_free_result(st);
    return err;
}

/* Step 3's rows: whether any session already has a payment (a second payment). */
typedef struct {
    my_bool other_null;
    int second_payment;
} LockRows;

static void lock_row(void *context) {
    LockRows *rows = context;
    if (!rows->other_null) rows->second_payment = 1;
}

/* The named sessions' rows: each must be the one its credit names and open to a first credit
 * (CreditBatchInsert.isAsNeeded); its id goes to the credit. */
typedef struct {
    Credit **named;
    int j, bad;
    long long id;
    char public_id[64], gateway[40], uid[140], external_id[256], status[16], credit[256];
    unsigned long lens[7];
    my_bool nulls[7];
} NamedRows;

static void named_row(void *context) {
    NamedRows *r = context;
    char *texts[] = {NULL, r->public_id, r->gateway, r->uid, r->external_id, r->status, r->credit};
    size_t caps[] = {0, sizeof r->public_id, sizeof r->gateway, sizeof r->uid, sizeof r->external_id,
                     sizeof r->status, sizeof r->credit};
    for (int f = 1; f < 7; f++) texts[f][r->nulls[f] ? 0 : (r->lens[f] < caps[f] ? r->lens[f] : caps[f] - 1)] = 0;
    for (int i = 0; i < r->j; i++) {
        Credit *c = r->named[i];
        if (strcmp(c->public_id, r->public_id) != 0) continue;
        if (strcmp(r->gateway, "stripe") == 0 && strcmp(r->uid, c->uid) == 0 &&
            (r->nulls[4] || strcmp(r->external_id, c->payment_id) == 0) && strcmp(r->status, "paid") != 0 &&
            strcmp(r->status, "refunded") != 0 && r->nulls[6]) {
            c->session_id = r->id;
            return;
        }
        break;
    }
    r->bad = 1;
}

static int by_public_id(const void *a, const void *b) {
    return strcmp((*(Credit *const *)a)->public_id, (*(Credit *const *)b)->public_id);
}

/* Step 4's rows: each returned id goes to the item with the returned payment_id. */
typedef struct {
    Credit **batch;
    int n;
    long long id, ids[BATCH_LIMIT];
    char payment_id[256];
    unsigned long payment_id_len;
} CreditRows;

static void credit_row(void *context) {
    CreditRows *rows = context;
    size_t cap = sizeof rows->payment_id - 1;
    rows->payment_id[rows->payment_id_len < cap ? rows->payment_id_len : cap] = 0;
    for (int i = 0; i < rows->n; i++)
        if (rows->ids[i] == 0 && strcmp(rows->batch[i]->payment_id, rows->payment_id) == 0) rows->ids[i] = rows->id;
}

static int by_id(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* The set-based fast path for a batch of 2..BATCH_LIMIT, sorted by event (CreditBatchInsert): DONE (every item
 * inserted), RERUN (deadlock or lock-wait timeout, rolled back), LOST (the connection is gone) or FAILED (rolled back
 * or never begun: the fallback runs). Every credit
 * here has a session and updates it to 'paid', so step 3 locks n sessions and step 5 is one UPDATE of n ids. */
static int confirm_fast(Worker *w, Credit **batch, int n) {
    MYSQL_BIND b[7 * ROWS_PER_STATEMENT + 1];
    unsigned long l[7 * ROWS_PER_STATEMENT + 1];
    long long lease = PUSH_LEASE_SECONDS, session_ids[BATCH_LIMIT];
    unsigned int err;
    MYSQL_STMT *st;
    MYSQL_BIND out[2];

    /* 1. */
    if (mysql_query(w->db, SQL_BEGIN) != 0) return fast_abandon(w, mysql_errno(w->db));
    /* 2. the event rows, in the batch's order, ROWS_PER_STATEMENT per statement */
    for (int from = 0; from < n; from += ROWS_PER_STATEMENT) {
        int m = n - from < ROWS_PER_STATEMENT ? n - from : ROWS_PER_STATEMENT;
        st = fast_stmt(w, &w->fast_events[m], SQL_FAST_EVENTS_HEAD, SQL_FAST_EVENTS_ROW, m, "");
        if (st == NULL) return fast_abandon(w, 0);
        for (int i = 0; i < m; i++) {
            const Credit *c = batch[from + i];
            MYSQL_BIND *x = &b[6 * i];
            unsigned long *y = &l[6 * i];
            bind_text(&x[0], "stripe", &y[0]);
            bind_text(&x[1], c->event_id, &y[1]);
            bind_text(&x[2], c->event_type, &y[2]);
            y[3] = c->body_len;
            bind_bytes(&x[3], c->body, &y[3]);
            bind_text(&x[4], c->headers_json, &y[4]);
            bind_text(&x[5], "credited", &y[5]);
        }
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
            return fast_abandon(w, mysql_stmt_errno(st));
    }
    /* 3. the sessions' row locks and the second-payment check: by id, ascending, for the credits that have one; by
     * public id, ascending, for the named ones, each read and checked, its id then the credit's */
    Credit *named[BATCH_LIMIT];
    int k = 0, j = 0;
    for (int i = 0; i < n; i++) {
        if (batch[i]->named) {
            batch[i]->session_id = 0;
            named[j++] = batch[i];
        } else {
            session_ids[k++] = batch[i]->session_id;
        }
    }
    qsort(session_ids, (size_t)k, sizeof session_ids[0], by_id);
    char other[256];
    unsigned long other_len = 0;
    LockRows locked = {.other_null = 1};
    for (int from = 0; from < k; from += ROWS_PER_STATEMENT) {
        int m = k - from < ROWS_PER_STATEMENT ? k - from : ROWS_PER_STATEMENT;
        st = fast_stmt(w, &w->fast_lock[m], SQL_FAST_LOCK_HEAD, "?", m, SQL_FAST_LOCK_TAIL);
        if (st == NULL) return fast_abandon(w, 0);
        for (int i = 0; i < m; i++) bind_int(&b[i], &session_ids[from + i]);
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
            return fast_abandon(w, mysql_stmt_errno(st));
        memset(out, 0, sizeof out);
        out[0].buffer_type = MYSQL_TYPE_STRING, out[0].buffer = other, out[0].buffer_length = sizeof other;
        out[0].length = &other_len, out[0].is_null = &locked.other_null;
        err = fetch_rows(st, out, lock_row, &locked);
        if (err != 0 || locked.second_payment) return fast_abandon(w, err);
    }
    qsort(named, (size_t)j, sizeof named[0], by_public_id);
    NamedRows found = {.named = named, .j = j};
    for (int from = 0; from < j; from += ROWS_PER_STATEMENT) {
        int m = j - from < ROWS_PER_STATEMENT ? j - from : ROWS_PER_STATEMENT;
        st = fast_stmt(w, &w->fast_named[m], SQL_FAST_NAMED_HEAD, "?", m, SQL_FAST_LOCK_TAIL);
        if (st == NULL) return fast_abandon(w, 0);
        for (int i = 0; i < m; i++) bind_text(&b[i], named[from + i]->public_id, &l[i]);
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
            return fast_abandon(w, mysql_stmt_errno(st));
        MYSQL_BIND columns[7];
        memset(columns, 0, sizeof columns);
        char *texts[] = {NULL, found.public_id, found.gateway, found.uid, found.external_id, found.status, found.credit};
        size_t caps[] = {0, sizeof found.public_id, sizeof found.gateway, sizeof found.uid, sizeof found.external_id,
                         sizeof found.status, sizeof found.credit};
        columns[0].buffer_type = MYSQL_TYPE_LONGLONG, columns[0].buffer = &found.id;
        for (int f = 1; f < 7; f++) {
            columns[f].buffer_type = MYSQL_TYPE_STRING, columns[f].buffer = texts[f];
            columns[f].buffer_length = caps[f] - 1;
        }
        for (int f = 0; f < 7; f++) columns[f].length = &found.lens[f], columns[f].is_null = &found.nulls[f];
        err = fetch_rows(st, columns, named_row, &found);
        if (err != 0 || found.bad) return fast_abandon(w, err);
    }
    for (int i = 0; i < j; i++) {
        if (named[i]->session_id == 0) return fast_abandon(w, 0); /* no such session */
        for (int r = 0; r < k; r++)
            if (session_ids[r] == named[i]->session_id) return fast_abandon(w, 0); /* also another credit's */
    }
    for (int i = 0; i < n; i++) session_ids[i] = batch[i]->session_id;
    qsort(session_ids, (size_t)n, sizeof session_ids[0], by_id);
    /* 4. the credits, written claimed for push; each item's row id comes back with its payment_id */
    CreditRows rows = {.batch = batch, .n = n};
    my_bool id_null = 0, payment_id_null = 0;
    for (int from = 0; from < n; from += ROWS_PER_STATEMENT) {
        int m = n - from < ROWS_PER_STATEMENT ? n - from : ROWS_PER_STATEMENT;
        st = fast_stmt(w, &w->fast_credits[m], SQL_FAST_CREDITS_HEAD, SQL_FAST_CREDITS_ROW, m, SQL_FAST_CREDITS_TAIL);
        if (st == NULL) return fast_abandon(w, 0);
        for (int i = 0; i < m; i++) {
            Credit *c = batch[from + i];
            MYSQL_BIND *x = &b[7 * i];
            unsigned long *y = &l[7 * i];
            bind_text(&x[0], c->payment_id, &y[0]);
            bind_text(&x[1], c->uid, &y[1]);
            bind_text(&x[2], "stripe", &y[2]);
            bind_int(&x[3], &c->amount);
            bind_int(&x[4], &c->session_id);
            bind_int(&x[5], &lease);
            bind_int(&x[6], &c->token);
        }
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
            return fast_abandon(w, mysql_stmt_errno(st));
        memset(out, 0, sizeof out);
        out[0].buffer_type = MYSQL_TYPE_LONGLONG, out[0].buffer = &rows.id, out[0].is_null = &id_null;
        out[1].buffer_type = MYSQL_TYPE_STRING, out[1].buffer = rows.payment_id;
        out[1].buffer_length = sizeof rows.payment_id - 1;
        out[1].length = &rows.payment_id_len, out[1].is_null = &payment_id_null;
        if ((err = fetch_rows(st, out, credit_row, &rows)) != 0) return fast_abandon(w, err);
    }
    for (int i = 0; i < n; i++)
        if (rows.ids[i] == 0) return fast_abandon(w, 0); /* not expected: a credit without its row */
    /* 5. the session updates: one status here ('paid'), ids ascending */
    for (int from = 0; from < n; from += ROWS_PER_STATEMENT) {
        int m = n - from < ROWS_PER_STATEMENT ? n - from : ROWS_PER_STATEMENT;
        st = fast_stmt(w, &w->fast_paid[m], SQL_FAST_PAID_HEAD, "?", m, SQL_FAST_PAID_TAIL);
        if (st == NULL) return fast_abandon(w, 0);
        bind_text(&b[0], "paid", &l[0]);
        for (int i = 0; i < m; i++) bind_int(&b[1 + i], &session_ids[from + i]);
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
            return fast_abandon(w, mysql_stmt_errno(st));
    }
    /* 6. */
    if (mysql_query(w->db, SQL_COMMIT) != 0) return fast_abandon(w, mysql_errno(w->db));
    for (int i = 0; i < n; i++) {
        snprintf(batch[i]->answer, sizeof batch[i]->answer, "inserted");
        batch[i]->row_id = rows.ids[i];
    }
    return DONE;
}

/* By (gateway, event_id), as CreditBatch sorts (the gateway is always stripe here). */
static int by_event(const void *a, const void *b) {
    return strcmp((*(Credit *const *)a)->event_id, (*(Credit *const *)b)->event_id);
}

/* Whether two credits share a session (and so its update), a payment_id or an event: the fast path would then
 * collide with itself, so the batch goes the CALL way. */
static int shares_keys(Credit **batch, int n) {
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if ((batch[i]->named == batch[j]->named && (batch[i]->named ? strcmp(batch[i]->public_id, batch[j]->public_id) == 0
                                                                       : batch[i]->session_id == batch[j]->session_id)) ||
                strcmp(batch[i]->payment_id, batch[j]->payment_id) == 0 ||
                strcmp(batch[i]->event_id, batch[j]->event_id) == 0)
                return 1;
    return 0;
}

/* Runs one batch on the leader's connection and writes every credit's answer; 1 when a batch of 2.. ran the CALL
 * fallback (payments_credit_batch_fallbacks_total). */
static int run_batch(Worker *w, Credit **submitted, int n) {
    if (n == 1 && !submitted[0]->named) {
        confirm_one(w, submitted[0]);
        return 0;
    }
    Credit *batch[BATCH_LIMIT];
    memcpy(batch, submitted, (size_t)n * sizeof batch[0]);
    qsort(batch, (size_t)n, sizeof batch[0], by_event);
    for (int i = 0; i < n; i++) batch[i]->answer[0] = 0, batch[i]->row_id = 0;
    if (!shares_keys(batch, n)) {
        int result = RERUN;
        for (int run = 0; run <= DEADLOCK_RERUNS && result == RERUN; run++) result = confirm_fast(w, batch, n);
        /* Deadlocked every time, or the connection is gone: every item fails (503; the gateway sends it again). */
        if (result == DONE || result == RERUN || result == LOST) return 0;
    }
    /* Not written as sets: the named credits are left (their workers read their sessions), the others run again on
     * their own (CreditBatch.apply). */
    Credit *others[BATCH_LIMIT];
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (batch[i]->named) {
            snprintf(batch[i]->answer, sizeof batch[i]->answer, "left");
        } else {
            others[m++] = batch[i];
        }
    }
    if (m == n) {
        confirm_call(w, batch, n);
    } else if (m > 0) {
        run_batch(w, others, m);
    }
    return 1;
}

/* Under group.mutex: starts every batch that may start now, each going to its oldest queued credit, woken alone to
 * run it. With no batch running the queue starts whatever its size; beside a running one (fewer than
 * BATCHES_IN_FLIGHT), only COMPANY_MINIMUM queued credits start another. */
static void appoint(void) {
    while (group.head != NULL && group.in_flight < BATCHES_IN_FLIGHT &&
           (group.in_flight == 0 || group.queued >= COMPANY_MINIMUM)) {
        Credit *first = group.head;
        int taken = 0;
        while (taken < BATCH_LIMIT && group.head != NULL) {
            first->lead[taken++] = group.head;
            group.head = group.head->next;
        }
        if (group.head == NULL) group.tail = NULL;
        group.queued -= taken;
        first->lead_n = taken;
        group.in_flight++;
        pthread_cond_signal(&first->wake);
    }
}

/* Runs `batch` (its slot in group.in_flight taken; `self` is its first, oldest credit), then, under the lock, wakes
 * each other member once with its answer and appoints leaders (appoint). */
static void lead(Worker *w, Credit *self, Credit **batch, int n) {
    int fell_back = run_batch(w, batch, n);
    pthread_mutex_lock(&group.mutex);
    group.in_flight--;
    group.batches++;
    group.items += (unsigned long long)n;
    group.fallbacks += (unsigned long long)fell_back;
    for (int i = 0; i < n; i++) {
        batch[i]->answered = 1;
        if (batch[i] != self) pthread_cond_signal(&batch[i]->wake);
    }
    appoint();
    pthread_mutex_unlock(&group.mutex);
}

/* Submits c and returns once it is answered: at once when it leads alone, else after its one wake-up (for its answer,
 * or to lead the batch it heads, which holds its own credit). */
static void group_confirm(Worker *w, Credit *c) {
    c->answered = 0;
    c->lead_n = 0;
    c->next = NULL;
    pthread_cond_init(&c->wake, NULL);
    pthread_mutex_lock(&group.mutex);
    if (group.head == NULL && group.in_flight == 0) {
        group.in_flight++; /* alone: a batch of this one credit, at once */
        c->lead[0] = c;
        c->lead_n = 1;
    } else {
        if (group.tail != NULL) {
            group.tail->next = c;
        } else {
            group.head = c;
        }
        group.tail = c;
        group.queued++;
        appoint(); /* may appoint c itself: then c->lead_n is set and it leads below */
    }
    while (!c->answered && c->lead_n == 0) pthread_cond_wait(&c->wake, &group.mutex);
    int n = c->lead_n;
    pthread_mutex_unlock(&group.mutex);
    if (n > 0) lead(w, c, c->lead, n); /* its own credit is the batch's first: answered when lead returns */
    pthread_cond_destroy(&c->wake);
}

/* ------------------------------------------------------------------------------------------------ requests */

/* A credit of this delivery, to be completed with its payer (a session's id and uid, or a named session). */
static Credit delivery_credit(Worker *w, const Event *e, const char *body, unsigned long body_len,
                              const char *headers_json) {
    return (Credit){.event_id = e->event_id,
                    .event_type = e->event_type,
                    .body = body,
                    .headers_json = headers_json,
                    .payment_id = e->intent_id,
                    .body_len = body_len,
                    .amount = e->amount,
                    .token = next_token(w)};
}

/* Whether the credit's batch wrote it (inserted, with a row id); then *pushed is the claimed row to push. */
static int written_for_push(const Credit *c, Claimed *pushed) {
    if (strcmp(c->answer, "inserted") != 0 || c->row_id == 0) return 0;
    pushed->id = c->row_id;
    pushed->token = c->token;
    pushed->amount = c->amount;
    snprintf(pushed->payment_id, sizeof pushed->payment_id, "%s", c->payment_id);
    snprintf(pushed->uid, sizeof pushed->uid, "%s", c->uid);
    return 1;
}

/* Step 2 for a credit: through the group commit; fills *pushed when a claimed credit was written. */
static int confirm_credit(Worker *w, const Event *e, const char *body, unsigned long body_len,
                          const char *headers_json, const Session *s, Claimed *pushed) {
    Credit c = delivery_credit(w, e, body, body_len, headers_json);
    c.uid = s->uid;
    c.session_id = s->id;
    group_confirm(w, &c);
    if (c.answer[0] == 0 || strcmp(c.answer, "integrity") == 0) return FAILED;
    if (strcmp(c.answer, "duplicate-event") == 0) return DUPLICATE;
    written_for_push(&c, pushed);
    return DONE;
}

/* Step 1: a named credit through the group commit: DONE when its batch wrote it (fills *pushed), LEFT when its batch
 * wrote nothing for it, FAILED. */
static int confirm_named(Worker *w, const Event *e, const char *body, unsigned long body_len,
                         const char *headers_json, Claimed *pushed) {
    Credit c = delivery_credit(w, e, body, body_len, headers_json);
    c.uid = e->uid;
    c.public_id = e->session_public_id;
    c.named = 1;
    group_confirm(w, &c);
    if (strcmp(c.answer, "left") == 0) return LEFT;
    return written_for_push(&c, pushed) ? DONE : FAILED;
}

static const char ANSWER_OK[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"received\":true}";

static void answer_error(FCGX_Request *r, const char *status, const char *name, const char *message) {
    FCGX_FPrintF(r->out,
                 "Status: %s\r\nContent-Type: application/json\r\n\r\n{\"errorName\":\"%s\",\"errorMessage\":\"%s\"}",
                 status, name, message);
}

/* Escapes a header value for the headers JSON column. */
static void json_string(const char *in, char *out, size_t cap) {
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 8 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*p;
        } else if (*p < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *p);
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n++] = '"';
    out[n] = 0;
}

/* GET /api/metrics: the group commit's counters, named as the project's; other GETs: health. */
static void answer_get(FCGX_Request *r) {
    const char *uri = FCGX_GetParam("REQUEST_URI", r->envp);
    if (uri != NULL && strncmp(uri, "/api/metrics", 12) == 0) {
        pthread_mutex_lock(&group.mutex);
        unsigned long long batches = group.batches, items = group.items, fallbacks = group.fallbacks;
        pthread_mutex_unlock(&group.mutex);
        FCGX_FPrintF(r->out,
                     "Status: 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n"
                     "payments_credit_batches_total %llu\npayments_credit_batch_items_total %llu\n"
                     "payments_credit_batch_fallbacks_total %llu\n",
                     batches, items, fallbacks);
    } else {
        FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}", r->out);
    }
    FCGX_Finish_r(r);
}

static void handle(Worker *w, FCGX_Request *r, char *body, size_t cap) {
    const char *method = FCGX_GetParam("REQUEST_METHOD", r->envp);
    if (method == NULL || strcmp(method, "POST") != 0) { /* GET /api/health and the like: no database work */
        answer_get(r);
        return;
    }
    size_t len = 0;
    int n;
    while (len < cap - 1 && (n = FCGX_GetStr(body + len, (int)(cap - 1 - len), r->in)) > 0) len += (size_t)n;
    body[len] = 0;
    const char *signature = FCGX_GetParam("HTTP_STRIPE_SIGNATURE", r->envp);
    Event e;
    if (signature == NULL || parse_event(body, len, &e) != 0) {
        answer_error(r, "400 Bad Request", "BadRequestException", "body is not a Stripe event");
        FCGX_Finish_r(r);
        return;
    }
    char headers_json[1200], quoted[1100];
    json_string(signature, quoted, sizeof quoted);
    snprintf(headers_json, sizeof headers_json, "{\"Stripe-Signature\":%s}", quoted);

    Claimed pushed = {.id = 0};
    int result = FAILED;
    int named = e.session_public_id[0] != 0 && e.uid[0] != 0 && strcmp(e.event_type, "payment_intent.succeeded") == 0 &&
                strcmp(e.status, "succeeded") == 0 && strcasecmp(e.currency, "usd") == 0;
    if (named) result = confirm_named(w, &e, body, (unsigned long)len, headers_json, &pushed);
    int read_session = !named || result == LEFT; /* the way every credit went before named credits */
    for (int run = 0; read_session && run <= DEADLOCK_RERUNS; run++) {
        if (w->db == NULL && (w->db = connect_db()) == NULL) break;
        Session s;
        int found = e.session_public_id[0] ? find_session(w, e.session_public_id, &s) : 0;
        if (found < 0) {
            drop_db_if_lost(w, mysql_errno(w->db));
            break;
        }
        int ours = found == 1 && strcmp(s.gateway, "stripe") == 0 && strcmp(e.uid, s.uid) == 0 &&
                   (s.external_null || strcmp(s.external_id, e.intent_id) == 0) && strcmp(e.status, "succeeded") == 0;
        if (ours) {
            result = confirm_credit(w, &e, body, (unsigned long)len, headers_json, &s, &pushed);
            break; /* the group commit reruns deadlocks itself */
        }
        result = record_ignored(w, &e, body, (unsigned long)len, headers_json);
        if (result != RERUN) break;
    }
    if (result == DONE || result == DUPLICATE) {
        FCGX_PutS(ANSWER_OK, r->out);
    } else {
        if (w->db != NULL) drop_db_if_lost(w, mysql_errno(w->db));
        answer_error(r, "503 Service Unavailable", "ServiceUnavailableException", "database");
    }
    FCGX_Finish_r(r);
    if (pushed.id != 0) enqueue(&pushed); /* after the answer, as RequestWorker.didFinish hands rows over */
}

static void *worker(void *arg) {
    Worker w = {.rng = (unsigned long long)(uintptr_t)arg * 0x9E3779B97F4A7C15ULL ^ (unsigned long long)getpid()};
    if (w.rng == 0) w.rng = 1;
    mysql_thread_init();
    w.db = connect_db();
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    static __thread char body[1 << 20];
    for (;;) {
        if (responder_accept(&request) < 0) break;
        handle(&w, &request, body, sizeof body);
    }
    drop_db(&w);
    free(w.pack);
    mysql_thread_end();
    return NULL;
}

/* RETAIL_API_URL: http://<ipv4>[:port]/path */
static int parse_retail(void) {
    const char *url = getenv("RETAIL_API_URL");
    const char *key = getenv("RETAIL_API_KEY");
    if (url == NULL || key == NULL || strncmp(url, "http://", 7) != 0) return -1;
    snprintf(retail_key, sizeof retail_key, "%s", key);
    const char *host = url + 7;
    const char *slash = strchr(host, '/');
    const char *colon = strchr(host, ':');
    int has_port = colon != NULL && (slash == NULL || colon < slash);
    size_t host_len = has_port ? (size_t)(colon - host) : slash ? (size_t)(slash - host) : strlen(host);
    if (host_len == 0 || host_len >= sizeof retail_host) return -1;
    memcpy(retail_host, host, host_len);
    retail_host[host_len] = 0;
    if (has_port) retail_port = atoi(colon + 1);
    snprintf(retail_path, sizeof retail_path, "%s", slash ? slash : "");
    size_t path_len = strlen(retail_path);
    while (path_len > 0 && retail_path[path_len - 1] == '/') retail_path[--path_len] = 0;
    return 0;
}

int main(int argc, char **argv) {
    const char *fcgi_path;
    int threads;
    int status = responder_start("contract", argc, argv, &fcgi_path, &threads);
    if (status != 0) return status;
    const char *sync_env = getenv("SYNC_THREADS");
    int sync_threads = (sync_env != NULL && *sync_env) ? atoi(sync_env) : 4;
    if (sync_threads < 1 || sync_threads > 64) {
        fprintf(stderr, "contract: SYNC_THREADS must be 1..64\n");
        return 64;
    }
    if (parse_retail() != 0) {
        fprintf(stderr, "contract: RETAIL_API_URL (http://<ipv4>:<port>/path) and RETAIL_API_KEY are required\n");
        return 64;
    }
    MYSQL *probe = connect_db();
    if (probe == NULL) return 1;
    mysql_close(probe);
    listen_fd = responder_listen("contract", fcgi_path);
    if (listen_fd < 0) return 1;
    sigset_t stop_signals;
    responder_block_stop_signals(&stop_signals);

    pthread_t id;
    for (int i = 0; i < sync_threads; i++) {
        if (pthread_create(&id, NULL, sync_worker, NULL) != 0) return 1;
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&id, NULL, worker, (void *)(uintptr_t)(i + 1)) != 0) {
            fprintf(stderr, "contract: pthread_create failed\n");
            return 1;
        }
    }
    fprintf(stderr, "contract: %d threads, %d sync threads on %s; Retail %s:%d%s\n", threads, sync_threads, fcgi_path,
            retail_host, retail_port, retail_path);
    int received = responder_wait_stop(&stop_signals);
    pthread_mutex_lock(&q_mutex);
    fprintf(stderr, "contract: signal %d, exiting (queued %d, dropped %llu, push failures %llu)\n", received, q_count,
            dropped, __atomic_load_n(&push_failures, __ATOMIC_RELAXED));
    pthread_mutex_unlock(&q_mutex);
    unlink(fcgi_path);
    _exit(0);
}
