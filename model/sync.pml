/*
 * sync.pml: a checked model of the ledger + Retail sync protocol (DESIGN §7), checked with spin by
 * `make verify-model` (scripts/verify-model.sh; README: Sync protocol model).
 *
 * WHAT IS MODELLED (as the code implements it)
 *   - Three ledger rows of one customer: P, a credit (a payment); R, a refund of P (a negative row,
 *     refund_of = P); C, the compensation of that refund (`<R>-reversed`, positive, refund_of = P), which
 *     waits for R through the unique key and for P through refund_of (SyncDependency.synced).
 *   - The responder (Responder): writes P, then R, then C, each in its own transaction. P is written already
 *     claimed for the immediate push while the queue has room (PushHandoff, insertEntry with a claim);
 *     R and C are written unclaimed and handed over as ids. A full queue drops the row (a claimed row's claim
 *     is released: RequestWorker.didFinish -> releasePushClaims); the row is left to payments-sync.
 *   - The responder's in-process queue (SyncQueue, `queue`) and its drain thread (ImmediatePusher): a claimed
 *     row is pushed under its claim unless its lease lapsed (then released and claimed anew by id); an id is
 *     claimed first (SyncStore.claim(rowID:)). Successes are recorded in batches: a success is flushed at
 *     once only when the queue is empty, otherwise after the next item (SyncQueue.drain / flush).
 *   - NHOSTS `payments-sync run` hosts (Host): claim one due row at a time (claimDue: FOR UPDATE SKIP LOCKED,
 *     lease + fresh token, rows whose dependency is not synced are never claimed), check the lease before the
 *     push (SyncPusher.mayPush), push, record the outcome under the claim's token (markSynced / markRetry /
 *     markFailed with its operator item); and settle waiting rows (settleWaitingRows: a row whose dependency
 *     failed for good becomes failed with a `dependency-failed` operator item).
 *   - Retail (Retail): one request at a time, deduplicating on transaction_id (RetailStore.apply): a known id
 *     answers 409 (RetailClient reads it as synced); a new id is applied, or refused for good (4xx), or fails
 *     for now without being applied (5xx / timeout), or is applied with the answer lost (5xx after the effect).
 *   - Faults: a pusher crashing after its claim and before the push, or after Retail's answer and before the
 *     mark (the claim stays until its lease expires; a crash of the responder loses its queue too); a lease
 *     expiring while its holder is still working (a slow push in flight); a pusher giving up on an answer
 *     (HTTP timeout) while its request is still on its way to Retail, which applies it later (the Retail
 *     process handles such late requests; a request answered in time is handled inside the pusher's step).
 *
 * ABSTRACTIONS
 *   - Time is not modelled. A lease is NONE, LIVE or EXPIRED; a lease whose holder crashed expires at any
 *     time (process Clock, unbounded, so liveness does not depend on luck); a lease whose holder is still
 *     working expires at most EXPIRE_BUDGET times (the code's margin, leaseMargin, is meant to prevent it;
 *     the model assumes the worst). next_sync_at (30 s hand-off delay, backoff, Retry-After) is abstracted
 *     away: every pending row is due at any time, which over-approximates the schedules the code builds.
 *   - Every SQL transaction (claim, mark, release, settle round, the responder's insert) is one atomic step;
 *     SKIP LOCKED and row locks become "atomic, sees committed state". A batch claim (claimDue LIMIT n) is a
 *     sequence of single-row claims; a batch markSynced is one mark per row.
 *   - One row of each kind, one customer; customer creation (404 -> create -> retry) is one more transient
 *     failure. A claim token is the pusher's id plus a bit that flips with each of its claims (the code draws
 *     63 random bits): it tells apart every claim a stale pusher could still act under, not every claim ever.
 *   - Retail's permanent refusal is a property of the row (bad[], chosen when the row is written): Retail
 *     refuses a given transaction_id for good every time or never (its validation is a function of the
 *     request). Retail checks its dedup before refusing, as the sandbox's RetailStore.apply does.
 *   - Faults are bounded so liveness can hold: CRASH_BUDGET crashes, EXPIRE_BUDGET leases lapsing under a
 *     live holder, HICCUP_BUDGET Retail hiccups (a transient failure, or an answer lost after the effect),
 *     TIMEOUT_BUDGET timeouts, and Retail refuses at most one row for good (P or R).
 *     The code retries transient failures forever (with backoff); the model proves progress once Retail
 *     answers.
 *   - Operator actions (requeue, resolve) are not modelled: FAILED plus its operator item is final.
 *
 * MODEL VS CODE (differences)
 *   - The code's mayPush compares the local clock with the claim's local expiry (taken before the claim
 *     transaction, so it ends no later than sync_claimed_until on equal clock rates). The model reads the
 *     database's lease instead; a skew between the host clock and MariaDB's UTC_TIMESTAMP is not modelled.
 *   - The code claims a row for an immediate push only when its next_sync_at rules allow it; the model lets
 *     any pending row be claimed at any time (superset of behaviours).
 *   - The sandbox's reject switch (POST /control/retail/reject) refuses before the dedup check and can be
 *     turned on and off; the model's Retail refuses per row, after the dedup check (see ABSTRACTIONS).
 *   - A payments-sync pass (claimer thread, pusher threads, recorder threads) is one sequential process per
 *     host here; the pipeline only reorders steps the model already interleaves across hosts.
 *   - Disputes (`-reinstated`) follow the same rule as `-reversed` and are not modelled separately.
 *   - The queue holds QSIZE items (SYNC_QUEUE_SIZE is larger); a full queue is also chosen at any time.
 *   - The code's lease margin (leaseMargin: a push starts only with one HTTP timeout of lease left) is meant to
 *     make a lease lapse mid-push impossible; the model allows it EXPIRE_BUDGET times, so its safety results do
 *     not depend on clocks or timeouts.
 *   - A pusher's answer is matched to its request (one HTTP exchange per connection); a request that outlives
 *     its timeout is handled later by Retail and its answer dropped, as a closed connection's would be.
 *
 * PROPERTIES
 *   - Safety (assertions, `make verify-model` safety run): Retail applies each transaction_id at most once
 *     (no row credited twice); Retail applies R only after P and C only after R and P (no refund or
 *     compensation before what it adjusts); a row marked synced is held by Retail; a failed row has an
 *     operator item and is not held by Retail.
 *   - Liveness: every row is eventually synced, or failed with an operator item. Every fault is bounded and
 *     every other step moves a row on, so every run is finite: the safety run checks every final state
 *     (process Final, `timeout -> assert(allDone)`), which covers all runs with every fault allowed; the LTL
 *     property `live` (<>[] allDone, with -DLIVENESS, `pan -a`) is checked over every run, stutter-extended,
 *     with fewer faults at once. Weak fairness (`pan -f`) is not needed since no run is infinite, and spin
 *     6.5.2's -f search missed the stutter cycle at a bad final state (BROKEN_NO_SETTLE), so it is not used.
 *
 * BROKEN VARIANTS (make verify-model checks that spin refutes each)
 *   - BROKEN_NO_DEPENDENCY: a refund / compensation is claimable before the row it adjusts is synced.
 *   - BROKEN_NO_DEDUP: Retail applies every POST, duplicates included.
 *   - BROKEN_NO_SETTLE: payments-sync never fails the rows whose dependency failed (liveness).
 *
 * OTHER FLAGS (findings; not run by make verify-model)
 *   - BROKEN_NO_LEASE_CHECK: pushes under a lapsed lease and records outcomes without the token check. NOT
 *     refuted: with Retail's refusals stable per transaction_id, Retail's dedup carries the safety; the
 *     token only keeps a stale pusher's outcome from overwriting its successor's.
 *   - RETAIL_UNSTABLE_REFUSALS: Retail may refuse a transaction_id and accept it later. Refuted, token or
 *     not: a pusher whose lease lapsed mid-push (or whose request was late) gets it applied after another
 *     pusher recorded the refusal, so a failed row (with its operator item) is held by Retail.
 */

#define NROWS 3
#define P 0
#define R 1
#define C 2

#define ABSENT 0
#define PENDING 1
#define SYNCED 2
#define FAILED 3

#define NONE 0
#define LIVE 1
#define EXPIRED 2

#define NOBODY 255
#define IMMEDIATE 0 /* pusher ids: 0 is the responder's drain thread, 1..NHOSTS the payments-sync hosts */

#define OK 0      /* 2xx */
#define DUP 1     /* 409 TransactionAlreadyExists: read as synced */
#define RETRY 2   /* 5xx, 408, 425, 429, timeout, connection: retry later */
#define REFUSED 3 /* other 4xx: failed for good, operator item */

#ifndef NHOSTS
#define NHOSTS 2
#endif
#define NPUSHERS (NHOSTS + 1)
#ifndef QSIZE
#define QSIZE 2
#endif
#ifndef CRASH_BUDGET
#define CRASH_BUDGET 1
#endif
#ifndef EXPIRE_BUDGET
#define EXPIRE_BUDGET 1
#endif
#ifndef HICCUP_BUDGET
#define HICCUP_BUDGET 1
#endif
#ifndef TIMEOUT_BUDGET
#define TIMEOUT_BUDGET 1
#endif

/* tn_payments, one entry per row */
byte st[NROWS];     /* sync_state (ABSENT before the responder writes the row) */
byte tok[NROWS];    /* sync_claim_token, 0 = NULL */
byte lease[NROWS];  /* sync_claimed_until: NONE (NULL), LIVE (future), EXPIRED (past) */
byte holder[NROWS]; /* the pusher working under the claim; NOBODY once it crashed (ghost variable) */
bit item[NROWS];    /* operator_items row (sync-failed or dependency-failed) */
byte epoch[NPUSHERS]; /* per pusher: flips with every claim it takes, so its tokens differ from its last */

/* Retail */
byte applied[NROWS]; /* times Retail changed the balance for this transaction_id */
bit bad[NROWS];      /* Retail refuses this transaction_id for good */

/* fault budgets */
byte crashes = CRASH_BUDGET;
byte expiries = EXPIRE_BUDGET;
byte hiccups = HICCUP_BUDGET;
byte timeouts = TIMEOUT_BUDGET;
byte refusals = 1; /* RETAIL_UNSTABLE_REFUSALS: how many requests Retail may refuse */

chan queue = [QSIZE] of { byte, byte };          /* row, claim token (0: an id to claim first) */
byte late = NOBODY; /* a request Retail has not seen yet whose pusher timed out */

/* SyncDependency.synced: every row this one waits for is synced. */
#ifdef BROKEN_NO_DEPENDENCY
#define depsSynced(r) (true)
#else
#define depsSynced(r) ((r) == P || ((r) == R && st[P] == SYNCED) || \
                       ((r) == C && st[P] == SYNCED && st[R] == SYNCED))
#endif
/* SyncDependency.failed: a row this one waits for failed for good. */
#define depFailed(r) (((r) == R && st[P] == FAILED) || ((r) == C && (st[P] == FAILED || st[R] == FAILED)))
/* SyncStore.claimable plus the dependency rule. */
#define claimable(r) (st[r] == PENDING && lease[r] != LIVE && depsSynced(r))

#ifdef BROKEN_NO_LEASE_CHECK
#define owns(r, t) (true)
#define mayPush(r, t) (true)
#else
#define owns(r, t) (tok[r] == (t))
/* The claim is still ours and its lease has not run out (taken over implies lapsed). */
#define mayPush(r, t) (tok[r] == (t) && lease[r] == LIVE)
#endif

#define done(r) (st[r] == SYNCED || (st[r] == FAILED && item[r]))
#define allDone (done(P) && done(R) && done(C))

/* Safety invariants that are not checked at an event. */
#define rowSane(r) ((st[r] != SYNCED || applied[r] > 0) && (st[r] != FAILED || (item[r] && applied[r] == 0)))
#define invariant (rowSane(P) && rowSane(R) && rowSane(C))

/* One claim transaction: a fresh token, a live lease. */
inline takeClaim(r, me, t) {
    epoch[me] = 1 - epoch[me];
    t = 1 + me + NPUSHERS * epoch[me];
    tok[r] = t;
    lease[r] = LIVE;
    holder[r] = me
}

/* Lets a claim go without an outcome (SyncStore.release): only under its token. */
inline release(r, t) {
    atomic {
        if
        :: owns(r, t) -> tok[r] = 0; lease[r] = NONE; holder[r] = NOBODY
        :: else -> skip
        fi
    }
}

/* markSynced / markRetry / markFailed under the claim's token; a lost claim records nothing. */
inline record(r, t, ans) {
    atomic {
        if
        :: owns(r, t) ->
            if
            :: ans == OK || ans == DUP -> st[r] = SYNCED
            :: ans == REFUSED -> st[r] = FAILED; item[r] = 1
            :: ans == RETRY -> skip /* next_sync_at moves on: abstracted */
            fi;
            tok[r] = 0; lease[r] = NONE; holder[r] = NOBODY
        :: else -> skip
        fi
    }
}

/* A crash of the pusher holding this claim: the claim stays until its lease expires. */
inline abandon(r, t) {
    atomic {
        if
        :: tok[r] == t && holder[r] != NOBODY -> holder[r] = NOBODY
        :: else -> skip
        fi
    }
}

/* Retail's handling of one transaction POST that reaches it: dedup on transaction_id, then refuse or apply. */
inline handle(r, ans) {
    if
#ifndef BROKEN_NO_DEDUP
    :: applied[r] > 0 -> ans = DUP
#endif
    :: else ->
        if
#ifdef RETAIL_UNSTABLE_REFUSALS
        :: refusals > 0 -> refusals--; ans = REFUSED /* this request is refused; a later one may be applied */
#else
        :: bad[r] -> ans = REFUSED
#endif
        :: !bad[r] ->
            /* no refund or compensation before what it adjusts */
            assert(r != R || applied[P] > 0);
            assert(r != C || (applied[P] > 0 && applied[R] > 0));
            applied[r]++;
            /* no row credited twice */
            assert(applied[r] <= 1);
            if
            :: ans = OK
            :: hiccups > 0 -> hiccups--; ans = RETRY /* applied, but the answer is lost (a 5xx after the effect) */
            fi
        :: !bad[r] && hiccups > 0 -> hiccups--; ans = RETRY /* 5xx, 429, connection refused: nothing applied */
        fi
    fi
}

/* One POST to Retail and its answer: Retail handles it at once, or the pusher's HTTP timeout answers RETRY
 * while the request is still on its way (`late`), for Retail to handle at any later time. */
inline post(r, ans) {
    atomic {
        if
        :: handle(r, ans)
        :: late == NOBODY && timeouts > 0 -> timeouts--; late = r; ans = RETRY
        fi
    }
}

/* The model's Retail API, for requests still in flight after their pusher gave up (synchronous requests are
 * handled inside `post`, as one step). */
active proctype Retail() {
    byte ans;
end:
    do
    :: atomic { late != NOBODY -> handle(late, ans); late = NOBODY; ans = 0 }
    od
}

/* Writes P (claimed for the immediate push while the queue has room), then R and C (as ids). */
active proctype Responder() {
    byte t;
    atomic {
        st[P] = PENDING;
        /* at most one row Retail refuses for good: P (then R and C wait for a failed row) or R (then C does) */
#ifndef RETAIL_UNSTABLE_REFUSALS
        if :: bad[P] = 1 :: bad[R] = 1 :: skip fi;
#endif
        if
        :: takeClaim(P, IMMEDIATE, t)
        :: t = 0 /* queue full when the request started: written unclaimed */
        fi
    }
    if
    :: queue ! P, t
    :: t != 0 -> release(P, t) /* queue full at the hand-off: the claim is released */
    :: t == 0 -> skip /* dropped id */
    fi;
    st[R] = PENDING
    if :: queue ! R, 0 :: skip fi;
    st[C] = PENDING
    if :: queue ! C, 0 :: skip fi
}

/* The responder's drain thread (SyncQueue.drain with SyncPusher). A crash is the responder's: its queue is lost. */
active proctype ImmediatePusher() {
    byte r, t, ans;
    byte fr = NOBODY, ft; /* a success waiting for the batched markSynced */
end:
    do
    :: queue ? r, t ->
        if
        :: t != 0 && !mayPush(r, t) -> release(r, t); t = 0 /* lapsed while queued: claim anew */
        :: else -> skip
        fi;
        if
        :: t == 0 ->
            atomic {
                if
                :: claimable(r) -> takeClaim(r, IMMEDIATE, t)
                :: else -> skip /* not claimable now: left to payments-sync */
                fi
            }
        :: else -> skip
        fi;
        if
        :: t != 0 ->
            if
            :: atomic { crashes > 0 -> crashes--; abandon(r, t) }; goto crash
            :: post(r, ans);
               if
               :: atomic { crashes > 0 -> crashes--; abandon(r, t) }; goto crash
               :: (ans == OK || ans == DUP) && len(queue) > 0 && fr == NOBODY -> fr = r; ft = t /* batched */
               :: else -> record(r, t, ans)
               fi
            fi
        :: else -> skip
        fi;
        if
        :: fr != NOBODY && (fr != r || ft != t) -> record(fr, ft, OK); fr = NOBODY
        :: else -> skip
        fi;
        if
        :: len(queue) == 0 && fr != NOBODY -> record(fr, ft, OK); fr = NOBODY
        :: else -> skip
        fi;
        goto next;
crash:
        /* the responder died: its queued claims and its unflushed success stay claimed until their leases expire */
        atomic {
            if :: fr != NOBODY -> abandon(fr, ft); fr = NOBODY :: else -> skip fi;
            do
            :: queue ? r, t -> if :: t != 0 -> abandon(r, t) :: else -> skip fi
            :: empty(queue) -> break
            od
        };
next:
        r = 0; t = 0; ans = 0
    od
}

/* One payments-sync host: settle rounds and single-row claims, pushes, records. */
proctype Host(byte me) {
    byte r, t, ans;
end:
    do
#ifndef BROKEN_NO_SETTLE
    :: atomic {
           /* settleWaitingRows: a row whose dependency failed for good becomes a failed operator item */
           (st[R] == PENDING && lease[R] != LIVE && depFailed(R)) ||
           (st[C] == PENDING && lease[C] != LIVE && depFailed(C)) ->
           if
           :: st[R] == PENDING && lease[R] != LIVE && depFailed(R) -> st[R] = FAILED; item[R] = 1;
              tok[R] = 0; lease[R] = NONE; holder[R] = NOBODY
           :: st[C] == PENDING && lease[C] != LIVE && depFailed(C) -> st[C] = FAILED; item[C] = 1;
              tok[C] = 0; lease[C] = NONE; holder[C] = NOBODY
           fi
       }
#endif
    :: atomic {
           (claimable(P) || claimable(R) || claimable(C)) ->
           if
           :: claimable(P) -> r = P
           :: claimable(R) -> r = R
           :: claimable(C) -> r = C
           fi;
           takeClaim(r, me, t)
       };
       if
       :: atomic { crashes > 0 -> crashes--; abandon(r, t) } /* died after the claim */
       :: !mayPush(r, t) -> release(r, t) /* lapsed before the push (SyncPusher.releaseLapsed) */
       :: mayPush(r, t) ->
           post(r, ans);
           if
           :: atomic { crashes > 0 -> crashes--; abandon(r, t) } /* died between the answer and the mark */
           :: record(r, t, ans)
           fi
       fi;
       r = 0; t = 0; ans = 0
    od
}

/* Leases run out: at any time once their holder is gone, at most EXPIRE_BUDGET times under a working holder. */
active proctype Clock() {
    byte r;
end:
    do
    :: atomic {
           (lease[P] == LIVE && holder[P] == NOBODY) || (lease[R] == LIVE && holder[R] == NOBODY) ||
           (lease[C] == LIVE && holder[C] == NOBODY) ->
           if
           :: lease[P] == LIVE && holder[P] == NOBODY -> lease[P] = EXPIRED
           :: lease[R] == LIVE && holder[R] == NOBODY -> lease[R] = EXPIRED
           :: lease[C] == LIVE && holder[C] == NOBODY -> lease[C] = EXPIRED
           fi
       }
    :: atomic {
           expiries > 0 && (lease[P] == LIVE || lease[R] == LIVE || lease[C] == LIVE) ->
           expiries--;
           if
           :: lease[P] == LIVE -> lease[P] = EXPIRED
           :: lease[R] == LIVE -> lease[R] = EXPIRED
           :: lease[C] == LIVE -> lease[C] = EXPIRED
           fi
       }
    od
}

#ifndef LIVENESS
/* The state invariants, checked in every reachable state of the safety run. */
active proctype Invariants() {
end:
    atomic { !invariant -> assert(false) }
}

/* Every run of the model is finite (every fault is bounded, every other step moves a row on), so "eventually
 * done" holds on every run exactly when every final state is done: `timeout` is true only when no process can
 * move any more. */
active proctype Final() {
end:
    timeout -> assert(allDone)
}
#endif

init {
    byte h = 1;
    atomic {
        do
        :: h <= NHOSTS -> run Host(h); h++
        :: else -> break
        od
    }
}

#ifdef LIVENESS
/* Every row is eventually synced, or failed with an operator item (both are final without an operator). */
ltl live { <> [] allDone }
#endif
