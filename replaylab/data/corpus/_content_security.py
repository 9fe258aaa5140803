# ruff: noqa: E501
"""Security: Orlavik Watchtower, audit logs, encryption, disclosure, data protection. Hand-written content."""

TOPIC = "security"

DOCS = [
    ("hc-0022", "help-centre", "2025-06-25", "The Watchtower audit log: what is recorded and for how long", """
Watchtower is the security centre of the Orlavik admin console, and its audit log records who did what in your workspace. The audit log is included on the Business and Enterprise plans; Team workspaces have a simpler activity feed that covers only file changes.

The audit log records sign-ins and sign-in failures, sharing and unsharing, downloads, deletions and restores, changes to members, groups and roles, and every change to security settings. Each event carries the member, the IP address, the device type and, for files, the space and path.

On the Business plan, audit log events are kept for 400 days. On the Enterprise plan, audit log events are kept for 7 years, which covers most regulatory record-keeping duties. Events older than the retention period are deleted in a weekly job and cannot be restored, so export anything you need to keep longer.

Owners, admins and members with the Auditor role can search the audit log. Searches can filter by member, event type, IP range and date, and results open in a side panel that links to the member's profile and to the file.
"""),
    ("hc-0023", "help-centre", "2025-08-07", "Exporting the audit log", """
You can export the Watchtower audit log as CSV for spreadsheets or as JSON Lines for log tools. Open Watchtower > Audit log, set your filters and choose Export.

A single export can cover a date range of up to 93 days. For longer periods, run several exports; each export keeps the filters you set, so consistent periods are easy to stitch together. Exports are prepared in the background and a download link is emailed to you when the file is ready. Export download links stay valid for 48 hours, and the export itself is recorded in the audit log.

If you want audit events in your own security tools continuously instead of by hand, use SIEM streaming, described in a separate article. Streaming sends every new event, while an export is a snapshot of what matched your filters at the time you asked.

Exports include the full event record, including IP addresses. Treat exported files as sensitive, store them in a restricted location and delete them when they are no longer needed.
"""),
    ("hc-0024", "help-centre", "2025-10-09", "Restricting access with an IP allowlist", """
An IP allowlist limits where members can reach your workspace from. It is available on Business and Enterprise and applies to Harbor on the web, Harbor Sync, the mobile apps and the Relay API.

Open Watchtower > Network and add the address ranges in CIDR notation. An IP allowlist can hold up to 64 CIDR ranges. Both IPv4 and IPv6 ranges are accepted, and each range can have a label, such as the name of an office or a VPN gateway.

To stop admins locking themselves out, Watchtower will not save an allowlist that excludes the IP address you are using at that moment. Break-glass accounts are exempt from the allowlist, so an owner can still reach the workspace if the office network changes unexpectedly.

Requests from outside the allowlist receive an access denied page on the web and the error code WT-3021 in the API. Each blocked attempt is written to the audit log with the source address, which helps you spot a range you forgot to add.
"""),
    ("hc-0025", "help-centre", "2025-12-03", "Customer-managed encryption keys", """
All data in Harbor is encrypted at rest. Enterprise workspaces can go further and encrypt their data with a key they control in their own key management service, so that Orlavik cannot read the data if the customer withdraws access to the key.

Customer-managed keys can live in AWS KMS, Azure Key Vault or Google Cloud KMS. The key must be in the same geographic region as the workspace data, and it must be a symmetric key created for encryption. Orlavik uses the key only to wrap the data keys for your workspace, so each file is not sent to your key service.

If you revoke Orlavik's access to the key, the workspace becomes unreadable within 15 minutes, and members see a message that the workspace is locked by its owner. Restoring access unlocks it again without data loss.

Rotating the key in your key service is supported at any time; Orlavik rewraps the data keys automatically within a day. Deleting the key permanently destroys access to the workspace data, and Orlavik support cannot recover it.
"""),
    ("hc-0026", "help-centre", "2026-02-05", "Watchtower security alerts", """
Watchtower raises alerts for activity that often signals a compromised account or an insider risk. Alerts appear in Watchtower > Alerts and are emailed to owners and admins who subscribed to them.

The impossible travel alert fires when the same member signs in from two places that would require travelling faster than 900 km/h between the sign-ins. VPNs can cause false positives, so you can mark the exit addresses of your VPN as trusted.

The mass download alert fires when a member downloads more than 500 files within 10 minutes, counting downloads from the web, Harbor Sync and the Relay API together. The mass sharing alert fires when one member creates more than 100 public links in an hour.

Each alert links to the underlying audit events. From an alert, admins can suspend the member, end their sessions or dismiss the alert with a note. Dismissed alerts stay searchable, and alerts can also be streamed to your SIEM together with the audit log.
"""),
    ("hc-0027", "help-centre", "2026-03-26", "Data loss prevention rules", """
Data loss prevention, or DLP, scans files in Harbor for sensitive information and acts on what it finds. DLP is available on the Enterprise plan.

A workspace can have up to 50 DLP rules. Each rule combines a detector with an action. Built-in detectors recognise payment card numbers, IBANs, passport numbers and national identity numbers for 14 countries, and you can add your own detectors as regular expressions with a list of keywords. Actions are warn the owner, block public links, block external sharing, or move the file to quarantine.

DLP scans new and changed files within a few minutes. DLP scans files up to 200 MB; larger files are skipped and listed in the DLP report so that you know what was not checked. Text inside images is not extracted.

Every DLP match is written to the audit log with the rule, the action taken and the file path. Matching content itself is not stored in the log. Start new rules in monitor mode to see how often they match before switching on blocking actions.
"""),
    ("hc-0028", "help-centre", "2026-04-30", "Granting Orlavik support access to your workspace", """
Orlavik support staff cannot see the content of your workspace by default. When you ask for help with a problem that needs a closer look, an owner or admin can grant support access for a limited time.

Open Watchtower > Support access and choose Grant access. A support access grant lasts 5 days and then ends automatically, and you can end it earlier at any time. The grant gives support staff read-only access to settings and file metadata; they can open file contents only if you tick the separate box that allows it.

Every action taken by support staff during a grant is written to the audit log, and the staff member is identified by an ID starting with ORV-S rather than by name. You receive an email when a grant starts and when it ends.

Support access is never needed for billing questions or for questions about how a feature works. If someone claiming to be from Orlavik asks you to grant access without an open ticket, do not grant it and report the request to security@orlavik.example.
"""),
    ("hc-0029", "help-centre", "2026-06-09", "Reporting a security vulnerability", """
If you believe you have found a security vulnerability in an Orlavik product, please report it to security@orlavik.example. Encrypt sensitive details with the PGP key published at trust.orlavik.example/pgp. Please do not report vulnerabilities through normal support tickets, which are handled by staff outside the security team.

The security team acknowledges vulnerability reports within 3 business days and keeps you informed while the report is assessed and fixed. Include the affected product, the steps to reproduce and the impact you observed. Screenshots or a short video help a lot.

Eligible reports are rewarded through the Orlavik bug bounty. The largest bounty, for a critical vulnerability, is $15,000, and the payout tiers are listed in the bug bounty rules. Only the first report of a given issue is rewarded.

We will not take legal action against researchers who act in good faith, avoid privacy violations and service disruption, and give us reasonable time to fix the problem before publishing it.
"""),
    ("pol-0011", "policies", "2025-06-05", "Information security programme overview", """
This overview describes how Orlavik Systems runs its information security programme. It is written for customers' security and procurement teams.

Orlavik has been certified against ISO/IEC 27001 since 2021, and the certificate covers all production services and the teams that operate them. Our SOC 2 Type II report covers the period from 1 April to 31 March each year and is available to customers under a non-disclosure agreement from the trust centre at trust.orlavik.example.

An independent firm tests our products every year. The annual penetration test is carried out by Kestrel Ridge Security, and customers can request a summary letter of the latest test results from their account manager. Findings rated high or critical are fixed before the summary letter is issued.

The programme is owned by the Chief Information Security Officer, Tobias Lindqvist, who reports to the CEO and presents security risks to the board every quarter. All staff complete security training when they join and every year after that.
"""),
    ("pol-0012", "policies", "2025-07-15", "Data retention and deletion after account closure", """
This policy sets out what happens to customer data when a workspace is closed, whether the customer cancels or the workspace is closed for non-payment.

After a workspace is closed, its data remains recoverable for a short period in case the closure was a mistake. Workspace data is permanently deleted 35 days after the workspace is closed. During that period an owner can reopen the workspace from the closure email, and all files, members and settings return unchanged.

Backups are handled separately. Deleted data is purged from backups within 95 days of the workspace closure, because backups are kept on a rolling cycle and are never edited to remove individual workspaces.

Audit log events are deleted with the workspace unless the customer exported them. On request, Orlavik provides a deletion certificate that confirms the date of deletion from production systems and the date by which backups will be purged. Requests for a certificate go to privacy@orlavik.example.
"""),
    ("pol-0013", "policies", "2025-09-18", "Subprocessor changes", """
Orlavik uses a small number of subprocessors to deliver its services, such as cloud hosting providers and the transactional email service. The current list, with each subprocessor's purpose and location, is published at trust.orlavik.example/subprocessors.

We notify customers 30 days before a new subprocessor starts processing customer data. Notices are emailed to workspace owners and to anyone who subscribes to the subprocessor feed on the trust centre, and they describe the subprocessor, the data involved and the reason for the change.

A customer may object to a new subprocessor on reasonable data protection grounds during the notice period. We will then work with the customer to find an alternative, and if none is possible, the customer may terminate the affected service and receive a pro-rata refund for the remaining term.

In an emergency, for example when a subprocessor fails and must be replaced to keep the service running, the notice may be shorter, and we will explain why in the notice.
"""),
    ("pol-0014", "policies", "2025-11-06", "Security incident notification", """
This policy describes how Orlavik informs customers about security incidents that affect their data.

Orlavik notifies affected customers within 48 hours of confirming a personal data breach. Confirmation means that our security team has established that customer personal data was accessed, disclosed, altered or lost without authorisation; the notification clock does not start while we are still investigating whether a breach happened.

The first notice goes to workspace owners and the security contact on file. It describes what happened, what data is affected, what we have done and what the customer should do. Follow-up updates are sent every 3 days until the incident is closed, or sooner when we learn something important.

After closure, affected customers receive a written incident report. The notification does not replace the customer's own duty to inform regulators or individuals, but we provide the information customers need to do so. Keep the security contact in Watchtower > Contacts up to date, because notices are not sent to billing contacts.
"""),
    ("pol-0015", "policies", "2026-01-12", "Encryption standards", """
This policy states the encryption standards Orlavik applies to customer data in transit and at rest.

Customer data at rest is encrypted with AES-256 using per-workspace data keys. Data keys are wrapped by key-encryption keys held in a hardware security module, and internal key-encryption keys are rotated every 120 days. Backups are encrypted with separate keys, so access to production keys alone does not expose backups.

Data in transit is protected with TLS. The minimum version is TLS 1.2 for all public endpoints, and TLS 1.3 is preferred and used whenever the client supports it. Cipher suites without forward secrecy are disabled. Traffic between our own services inside a region is also encrypted with mutual TLS.

Enterprise workspaces can use customer-managed keys, as described in the help centre. Encryption settings cannot be lowered by customers or staff; any change to these standards is reviewed by the security team and announced in the changelog.
"""),
    ("pol-0016", "policies", "2026-02-20", "Employee access to customer data", """
Orlavik staff access customer data only when it is needed to run the service or when a customer asks for help. This policy describes the controls that enforce that.

All staff pass a background check before they start. No engineer has standing access to production data. Access is requested through the access broker for a specific ticket, approved by a second engineer, and granted for a limited time. Production access granted through the access broker expires after 8 hours and must be requested again after that.

Support staff can see the content of a customer workspace only during a support access grant made by the customer. Access outside those two routes is technically blocked, not only forbidden.

Access rights are reviewed every quarter by each team lead, and accounts of people who leave Orlavik are disabled on their last working day. Every production access session is recorded and the recordings are kept for one year for investigation.
"""),
    ("pol-0017", "policies", "2026-04-16", "Security testing by customers", """
Customers may test the security of their own Orlavik workspace without asking for permission, as long as they follow the rules in this policy. The rules protect other customers, who share the same infrastructure.

Tell us about planned testing by submitting the testing form on the trust centre at least 5 business days before the test starts, with the workspace ID, the dates and the source IP addresses. Test only workspaces that you own. Do not attempt to access data of other customers, and stop and report immediately if you do reach any.

Denial-of-service testing, social engineering of Orlavik staff and physical testing of our offices are not allowed. Automated scanners must stay below 50 requests per second against Orlavik endpoints; faster scanning may be blocked by our web application firewall and can affect your own members.

Report findings to security@orlavik.example. Findings from customer testing can qualify for the bug bounty if they meet its rules.
"""),
    ("pol-0018", "policies", "2026-05-19", "Data residency", """
When a workspace is created, the owner chooses the region where its data is stored. Orlavik operates three regions. The eu-2 region is hosted in Frankfurt, Germany. The na-1 region is hosted in Montreal, Canada, and serves customers in North America. The ap-3 region is hosted in Singapore and serves customers in Asia and Oceania.

File contents, file versions, search indexes and audit logs stay at rest in the workspace region. Backups are stored in a second data centre in the same region. Account data needed to route sign-ins, such as email addresses and the workspace region, is replicated globally so that members can sign in from anywhere.

Support tickets and billing records are processed in the European Union regardless of the workspace region.

Enterprise customers can ask to move a workspace to another region. A region move is scheduled with the customer and takes up to 72 hours, during which the workspace is read-only. After a move, SSO connections must be updated with the new entity ID, and the old region's copy of the data is deleted within 14 days.
"""),
    ("pol-0019", "policies", "2026-06-30", "Bug bounty rules", """
The Orlavik bug bounty rewards security researchers who report vulnerabilities responsibly. Reports go to security@orlavik.example, as described in the help centre.

Rewards depend on severity, which the security team rates using CVSS together with the real impact on customers. Critical findings are paid up to $15,000. A vulnerability rated high severity is paid up to $5,000. Medium findings are paid up to $1,200, and low findings up to $250. Findings on staging or test systems are paid at half the normal rate.

Out of scope: reports from automated scanners without a working proof of concept, missing security headers without a demonstrated impact, denial of service, social engineering, and vulnerabilities in third-party services that Orlavik does not control.

Researchers must not publish details before the fix is released or before 90 days have passed since the report, whichever comes first. Bounties are paid within 30 days of the fix, and researchers may choose to donate their reward to a charity, in which case Orlavik doubles the amount.
"""),
    ("chg-0012", "changelog", "2025-08-26", "Watchtower 2.0 release notes", """
Watchtower 2.0 is a rebuilt audit log experience. Searches that took tens of seconds on large workspaces now return in under two seconds, and results update as you type.

Saved searches are new: admins can save any combination of filters and open it again with one click. Each admin can keep up to 25 saved searches, and saved searches can be shared with other admins and auditors in the workspace.

The event detail panel now shows the full context of an event, including the previous and new value of changed settings and a link to related events in the same session.

Deprecated: the old audit log CSV format with semicolon separators is no longer offered. Exports now use comma separators and quoted fields as standard. Scripts that parsed the old format need to be updated.

Watchtower 2.0 requires no action from admins and is enabled for all Business and Enterprise workspaces.
"""),
    ("chg-0013", "changelog", "2025-12-16", "Watchtower 2.3 release notes: SIEM streaming", """
Watchtower 2.3 adds continuous streaming of audit events to your own security tools. Streaming is available on Enterprise.

Supported destinations are a Splunk HTTP Event Collector, any HTTPS endpoint that accepts JSON, and S3-compatible object storage. SIEM streaming delivers new audit events in batches every 3 minutes, and each batch carries a sequence number so that you can detect gaps.

If a destination is unreachable, Watchtower keeps retrying and buffers events for up to 72 hours. After 72 hours the oldest buffered events are dropped, and owners receive an email. Delivery status and the last successful batch are shown in Watchtower > Streaming.

Events include the same fields as in exports. Alerts from Watchtower, such as impossible travel and mass download alerts, can be included in the same stream by ticking Include alerts.
"""),
    ("chg-0014", "changelog", "2026-04-07", "Watchtower 2.5 release notes: mass deletion alert", """
Watchtower 2.5 adds an alert for mass deletion, one of the clearest signs of ransomware or a disgruntled insider. The mass deletion alert fires when one member deletes more than 1,000 files within 15 minutes, whether from the web, Harbor Sync or the Relay API.

When the alert fires, Watchtower can optionally suspend the member's sessions automatically. Automatic suspension is off by default; turn it on in Watchtower > Alerts > Mass deletion. Deleted files stay in the trash, so recovery is possible with a bulk restore from the alert itself.

Other changes: alert emails now include the member's department from Keystone, and admins can snooze an alert type for a member for up to 7 days, which is useful during planned clean-ups.

Fixed: impossible travel alerts no longer fire for sign-ins from the same IPv6 prefix that geolocation services placed in different countries.
"""),
    ("chg-0015", "changelog", "2026-08-18", "Watchtower 2.7 release notes: leaked key scanning", """
Watchtower 2.7 protects Relay API keys that end up in public code. Orlavik now scans public code repositories and paste sites for Relay API keys, which are easy to spot because every live key starts with the prefix orv_live_.

When a live key is found in public, Watchtower revokes the leaked key within 2 minutes and emails the key owner and the workspace admins with the location where it was found. Test keys, which start with orv_test_, are reported but not revoked because they cannot reach production data.

The revocation is recorded in the audit log, and the Relay developer portal marks the key as Revoked: leaked so that developers understand why their integration stopped. Create a new key and store it in a secrets manager rather than in code.

Admins can see all leaked key events for the workspace in Watchtower > Alerts > Leaked keys.
"""),
    ("rb-0009", "runbooks", "2026-01-29", "Runbook: customer reports a leaked API key", """
Use this runbook when a customer or researcher reports that a Relay API key has been exposed, and automatic leak scanning has not already revoked it.

Revoke the key immediately with rlyadmin token revoke followed by the key ID, even if the customer has not confirmed the leak; a revoked key can be replaced in a minute, while a misused key can cause lasting damage. Do not paste the full key into tickets or chat; refer to it by key ID.

Then pull the usage of the key for the last 7 days from the Relay access logs and look for requests from unfamiliar IP addresses or unusual endpoints, such as bulk exports. Notify the customer within 1 hour of revocation with the list of suspicious requests, or a statement that none were found.

If the logs show data was read by someone other than the customer, open a security incident and follow the incident notification policy. Record the key ID, the source of the report and the revocation time in the security on-call log.
"""),
    ("rb-0010", "runbooks", "2026-03-10", "Runbook: web application firewall blocking legitimate traffic", """
Orlavik's public endpoints sit behind a web application firewall running the rule set owasp-crs-4 with our own additions. This runbook covers customer reports that the firewall blocks normal use, which shows up as the error page with a reference code starting with WAF-.

Find the reference code in the firewall logs to see which rule matched. Uploads of unusual file types and API requests with large JSON bodies are the most common false positives.

If the rule is clearly wrong for this traffic, add a scoped exception for the customer's workspace and the specific rule, never a global one. A temporary firewall exception must expire after 12 hours, and the exception form enforces this. Open a ticket for the security team to tune the rule permanently during business hours.

Never disable the firewall for a customer, even briefly. If blocking is widespread after a rule update, roll back to the previous rule set version with wafctl rollback and inform the security on-call engineer.
"""),
    ("rb-0011", "runbooks", "2026-05-28", "Runbook: suspected account takeover", """
Use this runbook when Watchtower alerts, the customer or our own monitoring suggest that a member account is controlled by someone else. Signs include impossible travel alerts, new MFA factors added from unfamiliar locations and mass downloads.

Contain first. Suspend the member from the admin console on the customer's behalf only if an owner of the workspace asks for it; otherwise advise the owner to do it. End all sessions and device tokens with kstool sessions revoke and the member ID. Revoke the member's Relay API keys.

Preserve evidence before anything is cleaned up. Export the member's audit events for the last 30 days and store them in the security evidence bucket, where evidence for account takeover cases is kept for 180 days.

Then help the owner reset the member's password and MFA, review the files the account accessed, and check for new sharing links or forwarding rules created during the compromise. If other members' data was accessed, open a security incident.
"""),
    ("rb-0012", "runbooks", "2026-07-21", "Runbook: TLS certificate close to expiry", """
Public TLS certificates for orlavik.example domains are issued and renewed automatically by certwarden, our internal ACME client. Certificates are renewed 30 days before expiry in normal operation. The alert TlsCertExpiringSoon fires when any public certificate expires within 21 days, which means automatic renewal has failed at least once.

Check the certwarden logs for the domain. The most common failure is a DNS challenge that cannot be completed because a DNS record was changed by hand. Fix the record and trigger renewal with certwarden renew followed by the domain name.

If renewal fails for a reason you cannot fix within a day, request a certificate manually from the backup certificate authority described in the security wiki, and install it with the same deployment pipeline; never copy certificate files onto hosts by hand.

After any manual intervention, check that the new certificate is served from every region with the certificate checker in the security dashboard. The expired certificate incident in eu-2 in April 2026 started with a renewal that succeeded in one region only.
"""),
]

UPDATES = [
    ("hc-0022", "2026-09-10", [
        ("On the Business plan, audit log events are kept for 400 days.", "On the Business plan, audit log events are kept for 540 days."),
    ]),
    ("pol-0012", "2026-10-09", [
        ("Workspace data is permanently deleted 35 days after the workspace is closed.", "Workspace data is permanently deleted 42 days after the workspace is closed."),
    ]),
    ("pol-0013", "2026-09-03", [
        ("We notify customers 30 days before a new subprocessor starts processing customer data.", "We notify customers 45 days before a new subprocessor starts processing customer data."),
    ]),
    ("pol-0014", "2026-10-14", [
        ("Orlavik notifies affected customers within 48 hours of confirming a personal data breach.", "Orlavik notifies affected customers within 36 hours of confirming a personal data breach."),
    ]),
]

QUESTIONS = [
    dict(q="On the Business plan, how many days are audit log events kept?", a="540 days", aliases=["540"], docs=["hc-0022"], old="400 days"),
    dict(q="Since audit log events on the Enterprise plan are kept for 3 years, how long are they actually kept?", a="7 years", aliases=["seven years"], docs=["hc-0022"], fp="3 years"),
    dict(q="What date range can a single audit log export cover?", a="93 days", aliases=["93"], docs=["hc-0023"]),
    dict(q="How long do audit log export download links stay valid?", a="48 hours", aliases=["two days"], docs=["hc-0023"]),
    dict(q="How many CIDR ranges can an IP allowlist hold?", a="64 CIDR ranges", aliases=["64"], docs=["hc-0024"]),
    dict(q="Which error code do API requests from outside the allowlist receive?", a="WT-3021", docs=["hc-0024"]),
    dict(q="If I revoke Orlavik's access to the key, how quickly does the workspace become unreadable?", a="within 15 minutes", aliases=["15 minutes"], docs=["hc-0025"]),
    dict(q="What travelling speed between sign-ins makes the impossible travel alert fire?", a="900 km/h", aliases=["900 kilometres per hour"], docs=["hc-0026"]),
    dict(q="How many files must a member download within 10 minutes to fire the mass download alert?", a="500 files", aliases=["500", "more than 500 files"], docs=["hc-0026"]),
    dict(q="How many DLP rules can a workspace have?", a="50 DLP rules", aliases=["50"], docs=["hc-0027"]),
    dict(q="DLP scans files up to what size before larger files are skipped?", a="200 MB", aliases=["200 megabytes"], docs=["hc-0027"]),
    dict(q="How many days does a support access grant last?", a="5 days", aliases=["five days"], docs=["hc-0028"]),
    dict(q="Which ID prefix identifies support staff in the audit log?", a="ORV-S", docs=["hc-0028"]),
    dict(q="Within how many business days does the security team acknowledge vulnerability reports?", a="3 business days", aliases=["three business days"], docs=["hc-0029"]),
    dict(q="Which firm carries out the annual penetration test?", a="Kestrel Ridge Security", aliases=["Kestrel Ridge"], docs=["pol-0011"]),
    dict(q="Who is the Chief Information Security Officer that owns the programme?", a="Tobias Lindqvist", aliases=["Lindqvist"], docs=["pol-0011"]),
    dict(q="How many days after the workspace is closed is workspace data permanently deleted?", a="42 days", aliases=["42"], docs=["pol-0012"], old="35 days"),
    dict(q="Within how many days of the workspace closure is deleted data purged from backups?", a="95 days", aliases=["95"], docs=["pol-0012"]),
    dict(q="How many days before a new subprocessor starts processing customer data do you notify customers?", a="45 days", aliases=["45"], docs=["pol-0013"], old="30 days"),
    dict(q="Within how many hours of confirming a personal data breach does Orlavik notify affected customers?", a="36 hours", aliases=["36"], docs=["pol-0014"], old="48 hours"),
    dict(q="How often are internal key-encryption keys rotated?", a="every 120 days", aliases=["120 days"], docs=["pol-0015"]),
    dict(q="Since production access granted through the access broker lasts 24 hours, when does it expire and need to be requested again?", a="after 8 hours", aliases=["8 hours", "eight hours"], docs=["pol-0016"], fp="24 hours"),
    dict(q="How many business days before the test starts must the testing form be submitted?", a="5 business days", aliases=["five business days"], docs=["pol-0017"]),
    dict(q="What request rate must automated scanners stay below against Orlavik endpoints?", a="50 requests per second", aliases=["50 per second"], docs=["pol-0017"]),
    dict(q="In which city is the na-1 region that serves customers in North America hosted?", a="Montreal", docs=["pol-0018"]),
    dict(q="Which region serves customers in Asia and Oceania?", a="ap-3", docs=["pol-0018"]),
    dict(q="How much is a vulnerability rated high severity paid up to?", a="$5,000", aliases=["5,000 dollars", "5000"], docs=["pol-0019"]),
    dict(q="How many saved searches can each admin keep?", a="25 saved searches", aliases=["25"], docs=["chg-0012"]),
    dict(q="How often does SIEM streaming deliver new audit events?", a="every 3 minutes", aliases=["3 minutes"], docs=["chg-0013"]),
    dict(q="How many files must one member delete within 15 minutes for the mass deletion alert to fire?", a="1,000 files", aliases=["1000 files", "more than 1,000 files"], docs=["chg-0014"]),
    dict(q="Which prefix does every live Relay API key start with?", a="orv_live_", aliases=["orv_live"], docs=["chg-0015"]),
    dict(q="How quickly does Watchtower revoke the leaked key when a live key is found in public?", a="within 2 minutes", aliases=["2 minutes", "two minutes"], docs=["chg-0015"]),
    dict(q="Within how long of revocation must the customer be notified?", a="within 1 hour", aliases=["1 hour", "one hour"], docs=["rb-0009"]),
    dict(q="Which rule set does the web application firewall run?", a="owasp-crs-4", docs=["rb-0010"]),
    dict(q="After how many hours must a temporary firewall exception expire?", a="12 hours", aliases=["twelve hours"], docs=["rb-0010"]),
    dict(q="How long is evidence for account takeover cases kept in the security evidence bucket?", a="180 days", aliases=["180"], docs=["rb-0011"]),
    dict(q="Within how many days of expiry does the alert TlsCertExpiringSoon fire?", a="21 days", aliases=["21"], docs=["rb-0012"]),
]
