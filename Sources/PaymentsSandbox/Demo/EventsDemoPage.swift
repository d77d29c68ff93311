/// `GET /demo/events`: a small checkout page that shows a Stripe payment's status live from the backend's event
/// stream (issue 12). Plain HTML and JavaScript, no build step; reached through the local nginx at
/// `/sandbox/demo/events`, so the page, the API (`/api/`) and the sandbox controls (`/sandbox/`) share one origin.
///
/// It mints a test ID token, creates a PaymentIntent through `stripe-getPaymentIntent`, asks `app-createEventsTicket`
/// for the stream URL and subscribes with EventSource; Pay, Refund and Dispute drive the sandbox, and each message
/// updates the status and reads the balance once (`app-getBalance`): nothing is polled. With `?auto=1` it starts on
/// its own and reports in the document title (`ready:<pi>` once subscribed, then `<status>:<pi>`), which is what the
/// headless browser test reads.
enum EventsDemoPage {
    static func response() -> SandboxResponse {
        SandboxResponse(
            status: 200,
            headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Array(html.utf8))
    }

    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>tn-payments live status demo</title>
        <style>
        body { font: 15px/1.4 system-ui, sans-serif; max-width: 40em; margin: 2em auto; }
        #status { font-size: 2em; font-weight: bold; }
        #log { font: 12px monospace; white-space: pre-wrap; background: #f4f4f4; padding: .5em; }
        button { margin-right: .5em; }
        </style>
        </head>
        <body>
        <h1>Live payment status</h1>
        <p>User <input id="uid" value="demo-user" size="16"> amount (cents) <input id="amount" value="1000" size="6">
        <button id="create">Create payment</button></p>
        <p>Payment <code id="payment">none</code> <button id="pay" disabled>Pay</button>
        <button id="refund" disabled>Refund</button><button id="dispute" disabled>Dispute</button></p>
        <p>Status: <span id="status">none</span></p>
        <p>Balance: <span id="balance">unknown</span></p>
        <div id="log"></div>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        const params = new URLSearchParams(location.search);
        let token = null, payment = null, stream = null, lastEventId = "";

        function log(line) { $("log").textContent = new Date().toISOString() + " " + line + "\\n" + $("log").textContent; }

        async function call(path, body, auth) {
          const headers = { "Content-Type": "application/json" };
          if (auth) headers.Authorization = "Bearer " + token;
          const response = await fetch(path, {
            method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body)
          });
          const json = await response.json().catch(() => ({}));
          if (!response.ok) throw new Error(path + " answered " + response.status + " " + JSON.stringify(json));
          return json;
        }

        async function balance() {
          const b = await call("/api/app-getBalance", undefined, true);
          $("balance").textContent = (b.total / 100).toFixed(2) + " USD (reserved " + (b.reserved / 100).toFixed(2) + ")";
        }

        async function subscribe() {
          const ticket = await call("/api/app-createEventsTicket", { session_id: payment }, true);
          const url = ticket.url + (lastEventId ? "&last_event_id=" + encodeURIComponent(lastEventId) : "");
          stream = new EventSource(url);
          stream.onopen = () => {
            log("subscribed");
            if (document.title.indexOf(":") < 0) document.title = "ready:" + payment;
          };
          stream.onmessage = (event) => {
            lastEventId = event.lastEventId;
            const message = JSON.parse(event.data);
            $("status").textContent = message.status;
            document.title = message.status + ":" + payment;
            log(event.data);
            balance().catch((e) => log(e.message));
          };
          stream.onerror = () => {
            // EventSource retries by itself; once it gives up (the ticket expired), subscribe with a fresh ticket.
            if (stream.readyState === EventSource.CLOSED) { log("stream closed; new ticket"); subscribe().catch((e) => log(e.message)); }
          };
        }

        async function create() {
          if (stream) stream.close();
          const minted = await call("/sandbox/firebase/mint", { uid: $("uid").value });
          token = minted.idToken;
          const intent = await call("/api/stripe-getPaymentIntent",
            { amount: Number($("amount").value), recaptcha_token: "pass", platform: "web" }, true);
          payment = intent.id;
          lastEventId = "";
          $("payment").textContent = payment;
          $("status").textContent = "created";
          for (const id of ["pay", "refund", "dispute"]) $(id).disabled = false;
          await balance();
          await subscribe();
        }

        function control(action) {
          return () => call("/sandbox/control/stripe/" + action, { id: payment }).then(
            () => log(action + " sent to the sandbox"), (e) => log(e.message));
        }

        $("create").onclick = () => create().catch((e) => log(e.message));
        $("pay").onclick = control("pay");
        $("refund").onclick = control("refund");
        $("dispute").onclick = control("dispute");
        if (params.get("uid")) $("uid").value = params.get("uid");
        if (params.get("auto") === "1") create().catch((e) => { log(e.message); document.title = "error:" + e.message; });
        </script>
        </body>
        </html>
        """
}
