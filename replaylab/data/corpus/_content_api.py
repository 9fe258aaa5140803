# ruff: noqa: E501
"""API: Orlavik Relay (REST API, tokens, webhooks, SDKs, rly CLI). Hand-written content."""

TOPIC = "api"

DOCS = [
    ("hc-0040", "help-centre", "2025-06-15", "Getting started with the Relay API", """
Relay is the public REST API for Orlavik. It lets your own systems create spaces, upload and download files, manage members and receive events through webhooks. The Relay API is available on the Team, Business and Enterprise plans.

All requests go to the base URL https://api.orlavik.example/v3 over HTTPS, and request and response bodies are JSON. Authenticate every request with a bearer token in the Authorization header: either a personal access token for scripts, or an OAuth access token for apps used by other people.

For development, use the sandbox at https://sandbox.api.orlavik.example, which behaves like production but holds only test data. The Relay sandbox data is reset every Sunday at 03:00 UTC, so do not keep anything there that you need to keep.

The full reference, with every endpoint and example requests, is in the Relay developer portal. Start with the GET /v3/me endpoint, which returns the member and workspace that your token belongs to and is a quick way to check that authentication works.
"""),
    ("hc-0041", "help-centre", "2025-07-17", "Relay API rate limits", """
Relay limits how many requests each token can make so that one integration cannot slow down the API for everyone else. Limits are counted per token over a sliding window of one minute.

On the Team plan, the Relay rate limit is 240 requests per minute per token. On the Business plan, the Relay rate limit is 600 requests per minute per token. Enterprise workspaces get 1,500 requests per minute per token unless their order form says otherwise.

Every response includes the headers X-RateLimit-Limit and X-RateLimit-Remaining, so your code can slow down before it reaches the limit. When a token goes over its limit, Relay answers with HTTP status 429 and the error code RLY-1429, and the Retry-After header says how many seconds to wait.

Spreading work across many tokens to get around the limit breaks the API terms of use. If your integration needs a higher limit, contact support with the workspace ID and a description of the workload.
"""),
    ("hc-0042", "help-centre", "2025-08-28", "Creating and managing personal access tokens", """
Personal access tokens let scripts and command-line tools call Relay as you. Create one in the Relay developer portal under Tokens, choose its scopes and give it a name that says what it is for.

The maximum lifetime of a personal access token is 90 days, and the portal emails you a week before a token expires. The token is shown only once, when it is created; store it in a password manager or a secrets store straight away. If you lose it, revoke it and create a new one.

Each member can hold up to 20 personal access tokens at the same time. A token can never do more than its owner can do in the workspace, and it stops working as soon as its owner is deactivated.

Admins can list every token in the workspace in Watchtower, see when each was last used, and revoke any of them. Admins on Business and Enterprise can also set a shorter maximum lifetime for the whole workspace.
"""),
    ("hc-0043", "help-centre", "2025-10-02", "Building an OAuth app", """
If you are building an integration that other Orlavik customers will connect to, register an OAuth app in the Relay developer portal instead of asking users for personal access tokens.

Relay uses the OAuth 2.0 authorization code flow, and PKCE is required for public clients such as mobile and desktop apps. An OAuth app can register up to 10 redirect URIs, and Relay matches them exactly, including the trailing slash.

OAuth access tokens are valid for 1 hour. Use the refresh token to get a new access token without asking the user again. Refresh tokens expire after 50 days of non-use, and every refresh returns a new refresh token that replaces the old one.

Users see the name, logo and requested scopes of your app on the consent screen. Ask only for the scopes your app needs; workspace admins can block apps that request broad scopes. Apps used by more than 100 workspaces must pass a security review before they appear in the Orlavik app directory.
"""),
    ("hc-0044", "help-centre", "2025-11-18", "Webhooks: delivery and retries", """
Webhooks let Relay tell your system when something happens, such as a file being uploaded or a member being added. Register a webhook endpoint in the Relay developer portal and choose the event types you want.

Relay sends each event as an HTTPS POST with a JSON body. Your webhook endpoint must respond within 8 seconds with a 2xx status code. Any other status, a timeout or a connection error counts as a failed delivery.

Failed deliveries are retried with exponential backoff. Relay retries a failed webhook delivery 11 times, spread over 40 hours, before giving up on that event. Events can arrive more than once and out of order, so use the event ID to ignore duplicates and the event timestamp to order them.

If every delivery to an endpoint fails for 5 days in a row, Relay disables the endpoint and emails the developers who registered it. Re-enable it in the portal after fixing the problem; events from the time it was disabled can be replayed from the delivery log.
"""),
    ("hc-0045", "help-centre", "2025-12-22", "Verifying webhook signatures", """
Every webhook request from Relay is signed so that your endpoint can check that it really came from Orlavik and was not changed on the way.

The signature is sent in the X-Orlavik-Signature header, and the time of sending is in the X-Orlavik-Timestamp header. To verify a request, join the timestamp, a full stop and the raw request body, compute an HMAC-SHA256 of that string with your endpoint's signing secret, and compare the result with the header using a constant-time comparison.

Reject requests whose timestamp is more than 240 seconds old, even if the signature is valid. This stops an attacker who captured a request from sending it again later.

You can rotate the signing secret in the developer portal. After a rotation, Relay signs each request with both the old and the new secret for 24 hours and sends two signatures separated by a comma, so you can deploy the new secret without missing events. Always verify against the raw body before parsing the JSON, because reformatting changes the bytes.
"""),
    ("hc-0046", "help-centre", "2026-01-22", "Paginating through lists", """
Relay endpoints that return lists, such as files in a folder or members of a workspace, use cursor pagination. Each response contains a page of items and, if there are more, a next_cursor value.

Use the limit parameter to choose the page size. The default page size is 50 items. The maximum page size for Relay lists is 200 items; larger values are reduced to 200 without an error. To get the next page, repeat the request with the cursor parameter set to the next_cursor value from the previous response. When next_cursor is missing, you have reached the end of the list.

Cursors expire 15 minutes after they are issued. If you pause for longer, start again from the first page. Items added while you paginate may or may not appear, but no item is returned twice within one pass.

Do not build cursors yourself or store them for later; their format is not part of the API contract and can change without notice.
"""),
    ("hc-0047", "help-centre", "2026-02-26", "Safe retries with idempotency keys", """
Network failures make it hard to know whether a request reached Relay. Idempotency keys make it safe to retry requests that create or change things, such as uploading a file or inviting a member.

Send a unique value in the Idempotency-Key header with any POST or PATCH request. An idempotency key can be up to 64 characters long; a UUID is a good choice. If Relay receives a second request with the same key from the same token, it does not perform the action again. Instead it returns the stored response of the first request with the header Idempotent-Replayed set to true.

Relay keeps idempotency keys for 72 hours. After that, a request with the same key is treated as a new request.

A request that reuses a key with a different body is rejected with the error RLY-4220, because it probably points to a bug in the client. GET and DELETE requests are naturally idempotent and ignore the header.
"""),
    ("hc-0048", "help-centre", "2026-03-31", "Relay error codes", """
Relay errors return an HTTP status code and a JSON body with a stable error code, a message for developers and a request ID. Quote the request ID when you contact support.

The error code RLY-4011 means the token is invalid or expired; create a new token or refresh the OAuth access token. The error code RLY-4030 means the token is missing a scope the endpoint needs; the message names the missing scope. The error code RLY-4040 means the resource does not exist or the token's owner cannot see it, and Relay does not say which, so that it does not reveal hidden resources.

The error code RLY-1429 means the token went over its rate limit. RLY-4290 is returned once the workspace has used up the spending limit its billing admin configured in Ledger. RLY-5030 means the API is in planned maintenance; the Retry-After header says when to try again.

Error codes are stable across API versions, while messages may change, so your code should branch on the code and never on the message text.
"""),
    ("hc-0049", "help-centre", "2026-05-06", "Uploading large files through the API", """
Files up to 100 MB can be uploaded with a single POST request. For larger files, use an upload session, which splits the file into chunks that can be retried one by one.

Create an upload session with POST /v3/uploads, giving the file name, the target folder and the total size. Then send the chunks in order with PUT requests. Upload session chunks must be between 8 MB and 64 MB, except the last chunk, which can be smaller. After the last chunk, complete the session with POST /v3/uploads/{id}/complete, and Relay returns the new file.

An upload session expires after 3 days. Chunks already sent are kept until then, so an interrupted upload can continue from the last acknowledged chunk. The maximum file size through an upload session is the same as for Harbor Sync.

Send a SHA-256 checksum with each chunk in the Digest header. Relay rejects a chunk whose checksum does not match, which protects against corruption on unreliable networks.
"""),
    ("hc-0050", "help-centre", "2026-06-18", "Relay SDKs and the rly command-line tool", """
Orlavik publishes official Relay SDKs for Python, JavaScript and Go. The Python SDK is the package orlavik-relay on PyPI, the JavaScript SDK is @orlavik/relay on npm, and the Go SDK lives in the orlavik/relay-go repository. The SDKs handle pagination, retries with idempotency keys and rate-limit backoff for you.

For the command line, install rly, the Relay CLI, from the same places. Run rly login to sign in through your browser; the CLI stores its settings in the config file ~/.config/orlavik/rly.toml, with the token kept in the operating system keychain rather than in the file.

Useful commands include rly files ls to list a folder, rly files put to upload with automatic chunking, and rly webhooks tail to watch webhook events arrive in real time while you develop.

The SDKs and CLI follow the API version they were released with. Upgrade to a new major version of an SDK when you move to a new API version.
"""),
    ("pol-0024", "policies", "2025-09-08", "API versioning and deprecation policy", """
This policy describes how Orlavik changes the Relay API without breaking integrations unexpectedly.

Within a major version, such as v3, we only make backward-compatible changes: new endpoints, new optional fields and new event types. Integrations must ignore fields they do not recognise. Changes that would break existing clients are made only in a new major version.

When a new major version is released, the previous major version remains supported for at least 18 months. A deprecation notice is published in the changelog and emailed to the developers of affected apps at least 12 months before a version is switched off, and responses from deprecated versions carry a Sunset header with the switch-off date.

Relay API v2 is deprecated. Relay API v2 will be switched off on 30 November 2026, after which requests to v2 endpoints return HTTP status 410. Before the switch-off, short planned brownouts help find forgotten integrations; their dates are announced in the changelog.
"""),
    ("pol-0025", "policies", "2026-01-08", "Relay API terms of use", """
These terms apply to everyone who builds on the Relay API, in addition to the customer agreement.

Use the API only to access data that the token owner is allowed to see, and only for the purpose the customer approved. Do not use the API to scrape public sharing links or to build copies of Orlavik services for third parties. Do not spread requests across several tokens to avoid rate limits.

A single token may have at most 8 concurrent requests in flight; further requests wait in a queue or are rejected with RLY-1429. Long-running work must use the asynchronous job endpoints rather than holding connections open.

Never embed tokens or client secrets in web pages, mobile app bundles or public repositories. Orlavik may suspend tokens or apps that put customer data at risk, that break these terms or that harm the service for others. We will contact the app developer before a suspension unless the risk is urgent.
"""),
    ("pol-0026", "policies", "2026-04-09", "Relay sandbox usage rules", """
The Relay sandbox is a shared environment for building and testing integrations. These rules keep it useful for every developer.

Do not put real personal data, customer files or production secrets into the sandbox. The sandbox is not covered by the security and privacy commitments that apply to production, and its data is visible to Orlavik staff who support developers.

The sandbox rate limit is 60 requests per minute per token, regardless of the plan of the workspace that owns the token. Files uploaded to the sandbox can be at most 1 GB each, and each sandbox workspace can hold at most 25 GB in total.

All sandbox data is deleted in the weekly reset. Webhooks from the sandbox are delivered only to endpoints registered as sandbox endpoints, and sandbox tokens start with orv_test_ so that they cannot be confused with live tokens. Sandbox accounts that are not used for 6 months are closed.
"""),
    ("chg-0022", "changelog", "2025-06-30", "Relay API v3 is generally available", """
Relay API v3 is now generally available, after six months of public beta. New integrations should use v3, and existing v2 integrations should plan their move.

The biggest changes from v2 are cursor pagination on every list endpoint, replacing page numbers, and consistent error bodies with stable error codes. Files and folders are now the same resource type, items, which removes the need to call different endpoints for each.

Webhooks in v3 are signed with HMAC-SHA256 instead of the shared token of v2, and every event has a unique ID for de-duplication.

Relay API v2 is deprecated from today and remains supported under the deprecation policy. A migration guide in the developer portal maps each v2 endpoint to its v3 replacement, and the rly CLI can scan your code for v2 calls with rly migrate scan.
"""),
    ("chg-0023", "changelog", "2025-09-23", "Relay 3.2 release notes: more webhook events", """
Relay 3.2 adds new webhook event types for file locking, archiving and legal holds. Integrations can now react when a file is locked or unlocked, when a folder moves to Harbor Archive or returns from it, and when a legal hold is placed or released.

With this release, Relay supports 46 webhook event types in total. The developer portal lists each event with its payload, and you can send a test event of any type to your endpoint from the portal.

Webhook payloads now include the workspace region, which helps integrations that route data by region.

Fixed: member.updated events were sent twice when a member's role and group changed in the same request. They are now sent once, with both changes in the payload.
"""),
    ("chg-0024", "changelog", "2025-12-30", "Relay 3.4 release notes: fine-grained scopes", """
Relay 3.4 replaces the four broad scopes of earlier releases with a finer permission model. Relay now has 31 fine-grained scopes, such as files.read, files.write, members.read and webhooks.manage, and each endpoint in the reference lists the scope it needs.

Existing tokens and OAuth apps keep working: their broad scopes are translated into the equivalent fine-grained scopes. New tokens and apps must choose fine-grained scopes. The developer portal shows the scopes of every token and app, so admins can see at a glance what each integration is allowed to do.

Admins can now block OAuth apps that request scopes they consider too broad, in Watchtower > Apps. Blocked apps cannot be connected by members, and existing connections stop working.

A request without the required permission now returns RLY-4030, naming the absent scope, instead of the generic RLY-4011 that earlier releases returned.
"""),
    ("chg-0025", "changelog", "2026-03-17", "Relay 3.5 release notes: bulk endpoint", """
Relay 3.5 adds a bulk endpoint for integrations that make many small changes, such as moving thousands of files or updating member profiles.

The Relay bulk endpoint, POST /v3/bulk, accepts up to 500 operations per request. Operations run in order, and the response lists the result of each operation with its own status code, so one failed operation does not stop the rest unless you set stop_on_error.

A bulk request counts as one request toward the rate limit, but each operation counts toward the workspace's monthly request quota.

Also new: the GET /v3/items endpoint accepts a fields parameter that limits the response to the fields you name, which makes large listings faster. The rly CLI supports both features from version 3.5.
"""),
    ("chg-0026", "changelog", "2026-06-02", "Relay 3.6 release notes: webhook replay", """
Relay 3.6 makes it easier to recover from webhook endpoint outages. The delivery log in the developer portal now keeps every delivery attempt for 21 days, with the request, the response status and the response time.

Failed deliveries from the last 21 days can now be replayed, either one by one or for a whole time range, from the portal or with rly webhooks replay. Replayed events keep their original event ID and timestamp, and carry the header X-Orlavik-Replay set to true.

Endpoints that were disabled after repeated failures can be re-enabled with the option to replay everything missed while they were disabled.

Fixed: the Retry-After header on RLY-1429 responses sometimes contained a fractional number of seconds. It is now always a whole number.
"""),
    ("chg-0027", "changelog", "2026-08-25", "Relay 3.7 release notes: v2 brownouts", """
Relay 3.7 schedules brownouts of the deprecated v2 API ahead of its switch-off. During a brownout, all v2 requests fail with HTTP status 410 for one hour, which makes forgotten integrations visible while there is still time to migrate them.

The first v2 brownout is on 15 October 2026 from 14:00 to 15:00 UTC, and the second on 5 November 2026 at the same time. Workspaces that still made v2 requests in the last 30 days receive an email listing the tokens and apps involved.

The developer portal now shows a v2 usage panel for each workspace. Admins can see which tokens and apps called v2, how often, and which endpoints they used.

Also in this release: the rly CLI can open the migration guide for a specific v2 endpoint with rly migrate explain.
"""),
    ("chg-0028", "changelog", "2026-10-15", "Relay 3.8 release notes: regional endpoints", """
Relay 3.8 adds regional API endpoints. Integrations that work only with workspaces in one region can now call that region directly, which cuts latency for customers far from our global edge.

The regional endpoint for ap-3 is api.ap-3.orlavik.example, and the endpoints for eu-2 and na-1 follow the same pattern. The global endpoint remains the default and routes each request to the right region. A regional endpoint rejects requests for workspaces in other regions with the error RLY-4210.

Rate limit headers now also follow the RateLimit header fields standard, alongside the existing X-RateLimit headers, which will remain until the next major version.

Fixed: uploads completed through an upload session sometimes reported the wrong size in the webhook payload when the last chunk was smaller than 1 MB.
"""),
    ("rb-0017", "runbooks", "2025-10-20", "Runbook: Relay server error rate high", """
This runbook covers the alert RelayErrorRate, which fires when more than 1% of Relay responses are 5xx over 5 minutes. Client errors such as RLY-1429 and RLY-4040 are not counted.

Open the Relay dashboard and look at which tier returns the errors. Relay traffic passes through relay-edge, the gateway that terminates TLS and enforces rate limits, and then reaches the relay-core services. If relay-edge returns 502 or 504 while relay-core looks healthy, the problem is between them; check the service mesh panel.

If errors started with a deploy, roll back with deployctl rollback relay-core or deployctl rollback relay-edge, whichever was deployed last. Rollbacks take about four minutes.

If one endpoint dominates the errors, it may be a slow database query. Enable the maintenance response for that endpoint only with relayctl endpoint maintenance, which returns RLY-5030 with a Retry-After header, rather than letting timeouts pile up. Post on the status page if the error rate stays above 1% for 10 minutes.
"""),
    ("rb-0018", "runbooks", "2026-02-03", "Runbook: webhook delivery backlog", """
Webhook events are written to the webhook-outbox queue and delivered by the relay-hooks workers. The alert WebhookDeliveryLag fires when the oldest undelivered event in webhook-outbox is more than 15 minutes old.

Check first whether one endpoint is slow. A customer endpoint that takes close to the 8-second limit on every request ties up workers. Relay protects itself with a per-endpoint circuit breaker that opens after 50 consecutive failures and pauses deliveries to that endpoint for 10 minutes; confirm on the dashboard that the breaker has opened for the offending endpoint.

If many endpoints are affected, scale relay-hooks. It can run up to 40 workers per region before the outbound connection limit becomes the bottleneck.

Never delete events from webhook-outbox. Delayed events are still delivered in order per endpoint once the backlog clears. If the delay exceeds one hour, post on the status page so that customers know to expect late events and can use webhook replay if they need to.
"""),
    ("rb-0019", "runbooks", "2026-04-28", "Runbook: customer asks for a higher rate limit", """
Use this runbook when a customer hits Relay rate limits and asks for more. Many requests can be solved without a change: check first whether the customer uses pagination with the maximum page size, the bulk endpoint and webhooks instead of polling.

If a higher limit is justified, support can grant a temporary increase of up to twice the plan limit for at most 7 days with relayctl limits raise, giving the token ID, the new limit and the expiry. Temporary increases must never be open-ended.

Permanent increases, or temporary increases above twice the plan limit, need approval from the API platform lead, Hanne Solberg, and are recorded in the customer's account notes. Enterprise customers may need an order form change, which their account manager handles.

Explain to the customer that limits apply per token and that spreading requests across many tokens breaks the terms of use, even if it seems to work.
"""),
    ("sp-0004", "status-page", "2026-07-02", "Resolved: delayed webhook deliveries", """
Resolved. On 1 July 2026, webhook deliveries from Relay were delayed for customers in all regions. At the worst point, webhook deliveries were delayed by 3 hours and 12 minutes. API requests, uploads and downloads were not affected, and no webhook events were lost.

Cause: a customer endpoint began responding slowly to every request, but stayed just under the timeout, so the circuit breaker did not open. Deliveries to that endpoint held a large share of the relay-hooks workers, and other endpoints waited behind it.

Resolution: the slow endpoint was paused manually at 16:40 UTC and the relay-hooks workers were scaled up. The backlog was cleared by 18:05 UTC, and all delayed events were delivered in order.

Follow-up: the circuit breaker now also opens for endpoints whose responses are consistently slow, and each endpoint is limited to a fair share of workers. Customers who want to check for gaps can use webhook replay for 1 July.
"""),
]

UPDATES = [
    ("hc-0041", "2026-09-19", [
        ("On the Business plan, the Relay rate limit is 600 requests per minute per token.", "On the Business plan, the Relay rate limit is 900 requests per minute per token."),
    ]),
    ("hc-0042", "2026-10-12", [
        ("The maximum lifetime of a personal access token is 90 days", "The maximum lifetime of a personal access token is 120 days"),
    ]),
]

QUESTIONS = [
    dict(q="What is the base URL for Relay API requests?", a="https://api.orlavik.example/v3", aliases=["api.orlavik.example/v3"], docs=["hc-0040"]),
    dict(q="When is the Relay sandbox data reset?", a="every Sunday at 03:00 UTC", aliases=["Sunday at 03:00 UTC", "every Sunday"], docs=["hc-0040"]),
    dict(q="What is the Relay rate limit on the Team plan?", a="240 requests per minute", aliases=["240"], docs=["hc-0041"]),
    dict(q="What is the Relay rate limit on the Business plan?", a="900 requests per minute", aliases=["900"], docs=["hc-0041"], old="600 requests per minute"),
    dict(q="Which error code does Relay answer with when a token goes over its rate limit?", a="RLY-1429", docs=["hc-0041", "hc-0048"]),
    dict(q="What is the maximum lifetime of a personal access token?", a="120 days", aliases=["120"], docs=["hc-0042"], old="90 days"),
    dict(q="How many personal access tokens can each member hold at the same time?", a="20 personal access tokens", aliases=["20", "twenty"], docs=["hc-0042"]),
    dict(q="After how many days of non-use do refresh tokens expire?", a="50 days", aliases=["50"], docs=["hc-0043"]),
    dict(q="How many redirect URIs can an OAuth app register?", a="10 redirect URIs", aliases=["10", "ten"], docs=["hc-0043"]),
    dict(q="Since my webhook endpoint has 30 seconds to respond, how many seconds does it really have to respond with a 2xx status code?", a="8 seconds", aliases=["eight seconds"], docs=["hc-0044"], fp="30 seconds"),
    dict(q="How many times does Relay retry a failed webhook delivery?", a="11 times", aliases=["11", "eleven times"], docs=["hc-0044"]),
    dict(q="In which header is the webhook signature sent?", a="X-Orlavik-Signature", docs=["hc-0045"]),
    dict(q="Reject webhook requests whose timestamp is more than how many seconds old?", a="240 seconds", aliases=["4 minutes", "240"], docs=["hc-0045"]),
    dict(q="What is the maximum page size for Relay lists?", a="200 items", aliases=["200"], docs=["hc-0046"]),
    dict(q="How many minutes after they are issued do cursors expire?", a="15 minutes", aliases=["fifteen minutes"], docs=["hc-0046"]),
    dict(q="Since Relay keeps idempotency keys for 24 hours, how long after the first request can I safely retry with the same key?", a="72 hours", aliases=["3 days", "three days"], docs=["hc-0047"], fp="24 hours"),
    dict(q="How many characters long can an idempotency key be?", a="64 characters", aliases=["64"], docs=["hc-0047"]),
    dict(q="Which error code means the token is missing a scope the endpoint needs?", a="RLY-4030", docs=["hc-0048"]),
    dict(q="Which error code means the token is invalid or expired?", a="RLY-4011", docs=["hc-0048"]),
    dict(q="Chunks of an upload session must be between 8 MB and what size?", a="64 MB", aliases=["64 megabytes"], docs=["hc-0049"]),
    dict(q="After how many days does an upload session expire?", a="3 days", aliases=["three days"], docs=["hc-0049"]),
    dict(q="What is the name of the Python SDK package on PyPI?", a="orlavik-relay", docs=["hc-0050"]),
    dict(q="Where is the config file in which the rly CLI stores its settings?", a="~/.config/orlavik/rly.toml", aliases=["rly.toml"], docs=["hc-0050"]),
    dict(q="On what date will Relay API v2 be switched off?", a="30 November 2026", aliases=["2026-11-30", "November 30, 2026"], docs=["pol-0024"]),
    dict(q="How long does the previous major version remain supported after a new major version is released?", a="at least 18 months", aliases=["18 months"], docs=["pol-0024"]),
    dict(q="How many concurrent requests in flight may a single token have?", a="8 concurrent requests", aliases=["8", "eight"], docs=["pol-0025"]),
    dict(q="What is the sandbox rate limit per token?", a="60 requests per minute", aliases=["60 per minute"], docs=["pol-0026"]),
    dict(q="How many webhook event types does Relay support in total?", a="46 webhook event types", aliases=["46"], docs=["chg-0023"]),
    dict(q="How many fine-grained scopes does Relay now have?", a="31 fine-grained scopes", aliases=["31"], docs=["chg-0024"]),
    dict(q="How many operations does the Relay bulk endpoint accept per request?", a="500 operations", aliases=["500"], docs=["chg-0025"]),
    dict(q="For how many days does the delivery log now keep every delivery attempt?", a="21 days", aliases=["21"], docs=["chg-0026"]),
    dict(q="On what date is the first v2 brownout?", a="15 October 2026", aliases=["2026-10-15", "October 15, 2026"], docs=["chg-0027"]),
    dict(q="What is the regional endpoint for ap-3?", a="api.ap-3.orlavik.example", docs=["chg-0028"]),
    dict(q="After how many consecutive failures does the per-endpoint circuit breaker open?", a="50 consecutive failures", aliases=["50"], docs=["rb-0018"]),
    dict(q="Who is the API platform lead who approves permanent increases?", a="Hanne Solberg", aliases=["Solberg"], docs=["rb-0019"]),
    dict(q="At the worst point, how long were webhook deliveries delayed?", a="3 hours and 12 minutes", aliases=["3 hours 12 minutes", "3h12"], docs=["sp-0004"]),
]
