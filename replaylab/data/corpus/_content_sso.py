# ruff: noqa: E501
"""SSO and identity: Orlavik Keystone (SAML, OIDC, SCIM, MFA, sessions). Hand-written content."""

TOPIC = "sso"

DOCS = [
    ("hc-0011", "help-centre", "2025-06-18", "Setting up SAML single sign-on with Keystone", """
Keystone is the identity service behind every Orlavik product, and SAML single sign-on is available on the Business and Enterprise plans. Setting it up takes about fifteen minutes if you have admin access to your identity provider.

In the admin console, open Keystone > Single sign-on and choose Add SAML connection. Keystone shows the two values your identity provider needs. The Assertion Consumer Service URL ends with your workspace ID. The entity ID has the form urn:orlavik:keystone followed by the workspace ID. Download the service provider metadata file if your identity provider can import it.

Keystone expects the NameID in the SAML assertion in the emailAddress format, and the email must belong to a verified domain. Optional attributes for first name, last name and department are mapped automatically when they use the standard names.

Start in Test mode. In Test mode only admins who click Test sign-in use SSO, and everyone else keeps signing in as before. You can enforce SSO for the whole workspace only after at least one successful test sign-in has been recorded.
"""),
    ("hc-0012", "help-centre", "2025-07-22", "Verifying your email domain", """
Before Keystone will accept SSO sign-ins or automatically add new colleagues to your workspace, you must prove that your organisation controls its email domain. Domain verification is done with a DNS TXT record.

Open Keystone > Domains, enter the domain and copy the TXT record value, which always starts with orlavik-verify= followed by a random token. Add the record at your DNS host on the root of the domain. Keystone checks DNS for the verification TXT record every 15 minutes, and the domain shows as Verified as soon as the record is found. If the record is not found within 7 days the token expires and you have to start again with a new token.

A workspace can have up to 50 verified domains, including subdomains, which must be verified separately. Leave the TXT record in place after verification: Keystone rechecks verified domains once a week and sends the owners a warning if the record disappears.

A domain can be verified by only one workspace at a time. If another workspace has already claimed your domain, contact support with proof of ownership.
"""),
    ("hc-0013", "help-centre", "2025-09-10", "How long SSO sessions last", """
When a member signs in through SSO, Keystone starts a session that is shared by Harbor on the web, the admin console and the Relay developer portal. The default session length for SSO users is 10 hours, after which the member is sent back to the identity provider to sign in again.

Admins can change the session length in Keystone > Sessions. The maximum session length admins can set for SSO users is 72 hours, and the minimum is one hour. A shorter session is safer on shared computers; a longer one suits teams that work in long shifts.

Independently of the session length, an idle timeout signs members out after 2 hours without activity in the browser. Harbor Sync on desktops and the mobile apps do not use browser sessions; they hold a device token that is refreshed in the background and revoked when the member is deprovisioned.

Changing the session length does not end existing sessions. To force everyone to sign in again now, for example after a security incident, use Sign out all sessions on the same page.
"""),
    ("hc-0014", "help-centre", "2025-10-01", "Provisioning users with SCIM", """
Keystone supports SCIM 2.0, so your identity provider can create, update and deactivate Orlavik users and groups automatically. SCIM provisioning is available on Business and Enterprise.

To connect your identity provider, open Keystone > Provisioning and generate a SCIM token. Enter the SCIM base URL https://keystone.orlavik.example/scim/v2 and the token in your identity provider. A SCIM token is valid for 180 days, and Keystone emails the workspace owners two weeks before it expires. Only one active token exists at a time; generating a new one revokes the old one immediately.

A single SCIM sync can push up to 2,500 groups. Groups beyond that are skipped and listed under Provisioning > Sync issues. Users removed from the assigned application in your identity provider are deactivated in Orlavik, which signs them out everywhere and frees their seat; their files stay in place until an admin transfers them.

If you also use just-in-time provisioning, SCIM takes precedence: attributes sent through SCIM overwrite those from SAML assertions.
"""),
    ("hc-0015", "help-centre", "2025-11-12", "Just-in-time provisioning", """
Just-in-time provisioning creates an Orlavik account the first time someone signs in through SSO, so you do not have to invite every colleague by hand. It works with any email address on a verified domain.

New just-in-time users are given the default role Contributor, which lets them create and edit files in the spaces they are invited to but not change workspace settings. You can assign a different role by sending the SAML attribute orlavik_role with one of the values viewer, contributor or admin. Owner and billing admin roles can never be granted through an attribute and must be assigned in the admin console.

Just-in-time users are added to the built-in Everyone group, and to any group named in the groups attribute that already exists in Keystone. Groups that do not exist are ignored rather than created.

If your workspace has no free seats, just-in-time sign-in is refused with the error KS-1204 until an admin adds seats or removes inactive members. Turn off just-in-time provisioning in Keystone > Single sign-on if you manage users only through SCIM.
"""),
    ("hc-0016", "help-centre", "2025-12-15", "Break-glass owner accounts", """
When SSO is enforced, nobody can sign in with a password, which is a problem if your identity provider itself is down. Break-glass accounts solve this. Up to 3 break-glass accounts can be designated among the workspace owners, and they can sign in without SSO.

A break-glass account signs in at https://keystone.orlavik.example/breakglass with its password and a hardware security key; passkeys on phones and authenticator codes are not accepted for break-glass sign-in. Every break-glass sign-in raises a Watchtower alert and emails all owners, so the accounts cannot be used quietly.

We recommend that you test each break-glass account every 120 days, and Keystone shows a reminder on the Owners page when a test is overdue. During a test, sign in, open the admin console and sign out; nothing else is needed.

Break-glass accounts should use personal addresses on your verified domain rather than shared mailboxes, and the security keys should be stored apart from each other.
"""),
    ("hc-0017", "help-centre", "2026-01-20", "Multi-factor authentication options", """
Keystone supports three second factors for members who sign in with a password: authenticator apps that generate time-based codes, hardware security keys using WebAuthn, and passkeys. SMS codes are no longer offered.

Admins can require multi-factor authentication for everyone in Keystone > Security. After an admin enforces MFA, members must enrol a second factor within 6 days; until then they see a prompt at every sign-in, and after that they cannot reach any content until they enrol.

When a member enrols their first factor, Keystone generates 12 recovery codes for them. Each recovery code works only once, and using one is recorded in Watchtower. Members can generate a fresh set at any time, which invalidates the old codes.

Members who sign in through SSO follow the MFA rules of your identity provider instead, and Keystone does not ask them for a second factor. If a member loses every factor and every recovery code, an admin can reset their MFA from the member's profile, which requires the admin to confirm with their own second factor.
"""),
    ("hc-0018", "help-centre", "2026-02-11", "SSO error KS-1131: assertion outside the allowed time window", """
The error KS-1131 means that the SAML assertion from your identity provider is not valid at the time Keystone receives it. Every assertion has a NotBefore and NotOnOrAfter time, and Keystone compares them with its own clock.

Keystone allows a clock skew of 180 seconds between the identity provider and Keystone. If the clocks differ by more than that, sign-in fails with KS-1131 even though the assertion is otherwise correct. The most common cause is an on-premises identity provider, such as an ADFS server, whose clock is no longer synchronised with a time server.

To fix it, check the time on the identity provider host and make sure it synchronises with NTP. Then ask an affected member to sign in again; no change is needed in Keystone.

If several customers report KS-1131 at the same moment, the cause may be on our side. Check status.orlavik.example before changing anything in your identity provider.
"""),
    ("hc-0019", "help-centre", "2026-03-03", "SSO error KS-1107: audience mismatch", """
The error KS-1107 appears when the Audience value in the SAML assertion does not match the entity ID Keystone expects for your workspace. Keystone rejects the assertion because it may have been issued for a different application.

The most common cause is a copy and paste mistake when the connection was set up. Another frequent cause is a workspace move between regions: workspaces hosted in eu-2 and workspaces hosted in na-1 use different entity IDs, so an identity provider configured before a region move sends the old value. Open Keystone > Single sign-on, copy the entity ID shown there and paste it into the Audience or Identifier field of your identity provider.

Some identity providers send more than one audience. Keystone accepts the assertion as long as one of them matches. Keystone does not accept wildcard audiences.

After fixing the audience, use Test sign-in before asking members to try again. If KS-1107 persists, download the SAML trace from Keystone > Single sign-on > Recent failures and attach it to a support ticket.
"""),
    ("hc-0020", "help-centre", "2026-04-08", "Password and lockout rules", """
Members who do not sign in through SSO use an Orlavik password. Passwords for members who do not sign in through SSO must be at least 14 characters long. There are no rules about symbols or mixed case, because length protects accounts better than complexity, but Keystone rejects any password that appears in known breach lists.

After 8 failed sign-in attempts in a row, the account is locked for 20 minutes. The lock applies to the account, not to the device, so it also stops attackers who rotate IP addresses. Members see a message that the account is temporarily locked and receive an email about the failed attempts.

Admins can unlock a member early from the member's profile in the admin console, and the unlock is recorded in Watchtower. Passwords do not expire on a schedule; Keystone only asks for a new password if it finds the old one in a breach list or an admin forces a reset.

Password sign-in can be switched off entirely by enforcing SSO, in which case only break-glass accounts keep a password.
"""),
    ("hc-0021", "help-centre", "2026-05-27", "Signing in with OpenID Connect", """
As an alternative to SAML, Enterprise workspaces can connect an identity provider with OpenID Connect. Keystone uses the authorization code flow with PKCE and never uses the implicit flow.

Register Keystone as a web application in your identity provider and use https://keystone.orlavik.example/oidc/callback as the redirect URI. Then, in Keystone > Single sign-on, choose Add OIDC connection and enter the issuer URL, client ID and client secret. Keystone reads the rest of the configuration from the discovery document of your issuer.

Keystone requires the openid, email and profile scopes. The email claim is used to match members, and it must be marked as verified by the identity provider. Keystone rejects ID tokens issued more than 5 minutes before they arrive, to protect against replayed tokens.

A workspace can have either a SAML connection or an OIDC connection enforced at one time, but you can prepare the second one in Test mode before switching over. Client secrets are stored encrypted and are never shown again after saving.
"""),
    ("pol-0007", "policies", "2025-08-28", "Deprovisioning and ownership of a departing member's files", """
This policy describes what happens to the account and files of a member who leaves a customer organisation. It applies whether the member is deactivated by SCIM, by an admin or by the member's identity provider.

When a member is deactivated, Keystone ends all of their sessions and device tokens within 5 minutes and frees their seat. The member's files are not deleted. Files owned by a deactivated member are held for 40 days, during which an admin can transfer them to any other member from the admin console.

If no admin acts, the files are transferred automatically to the member's manager, as recorded in the manager attribute from SCIM. If no manager is known, they are transferred to the longest-serving workspace owner. Shared links created by the departing member keep working after the transfer unless an admin revokes them.

Deactivated members can be reactivated within the holding period with their files and group memberships intact. After the transfer, reactivating the account restores the login and group memberships but not file ownership.
"""),
    ("pol-0008", "policies", "2026-01-05", "Keystone signing certificate lifecycle", """
Keystone signs SAML requests and responses with a certificate that your identity provider may need to trust. This policy explains how that certificate is managed so that rotations never cause surprise outages.

The Keystone SAML signing certificate is valid for 3 years from issue. A new certificate is published in the Keystone service provider metadata 60 days before the current one expires, so identity providers that read metadata automatically pick it up without any action. Workspace owners whose identity provider does not read metadata receive email notices at 45, 14 and 2 days before the switch.

On the switch date, Keystone starts signing with the new certificate. The old certificate stays in the metadata as a secondary certificate for 7 days after the switch so that delayed logins still validate.

Emergency rotations, for example after a suspected key compromise, may happen with less notice. In that case we publish a notice on the status page and email all owners of workspaces with SAML enabled at the moment the new certificate is published.
"""),
    ("pol-0009", "policies", "2026-03-16", "Identity provider requirements", """
Keystone works with any identity provider that implements SAML 2.0 or OpenID Connect correctly. This policy lists the minimum requirements we support; connections that do not meet them may work but are not covered by support.

Assertions and ID tokens must be signed. Keystone rejects signatures that use SHA-1, and RSA signing keys used by identity providers must be at least 3072 bits long. Elliptic curve keys on the P-256 curve are also accepted. Unsigned assertions are rejected even when the response envelope is signed.

Identity provider certificates must not be expired; Keystone warns owners 30 days before the certificate in a connection expires. Metadata URLs must use HTTPS with a publicly trusted certificate. If you upload metadata as a file instead, you must upload it again each time your identity provider changes its keys.

Encrypted assertions are supported but optional. If you encrypt assertions, use the Keystone encryption certificate from the service provider metadata, not the signing certificate.
"""),
    ("pol-0010", "policies", "2026-06-02", "Admin roles and delegation", """
Every Orlavik workspace uses the same six roles: Owner, Admin, Billing admin, Auditor, Contributor and Viewer. This policy describes what each role can do and the limits on the most powerful roles.

Owners can do everything, including deleting the workspace and changing SSO enforcement. A workspace can have a maximum of 6 owners, and it must always have at least one. Admins manage members, groups, spaces and security settings but cannot delete the workspace or change billing. Billing admins manage Ledger only. Auditors can read the Watchtower audit log and export it but cannot see file contents.

Invitations to join as an owner or admin expire after 48 hours if they are not accepted. Every role change is recorded in Watchtower with the member who made it, and removing the last admin other than the owners requires the confirmation of a second owner.

We recommend assigning the Admin role to named people rather than shared accounts, and reviewing admin and owner assignments every quarter.
"""),
    ("chg-0006", "changelog", "2025-07-30", "Keystone 5.0 release notes", """
Keystone 5.0 moves identity settings into their own section of the admin console. Single sign-on, provisioning, domains, sessions and security settings that were spread across several pages are now together under Keystone, and the old pages redirect there.

SCIM group push is now supported. Groups pushed from your identity provider appear in Keystone with a lock icon and cannot be edited in Orlavik, which avoids conflicting changes. Existing manually created groups are not affected.

Every SSO sign-in, successful or failed, is now written to the Watchtower audit log with the identity provider, the error code if any, and the IP address. Failed sign-ins keep their SAML trace for 14 days so that admins can troubleshoot without asking members to reproduce the problem.

Keystone 5.0 also introduces the Auditor role, which can read and export the audit log without any other admin rights. There are no breaking changes in this release.
"""),
    ("chg-0007", "changelog", "2025-10-21", "Keystone 5.2 release notes: SMS codes retired", """
Keystone 5.2 begins the retirement of SMS codes as a second factor. SMS codes are vulnerable to SIM swapping and delivery delays, and fewer than 4% of members still use them.

From this release, members cannot enrol SMS as a new second factor. SMS codes will stop working on 1 December 2025. Members who rely only on SMS see a prompt at every sign-in asking them to add an authenticator app, a security key or a passkey, and admins can list them in Keystone > Security > Second factors.

After 1 December 2025, a member whose only second factor is SMS will be asked to use a recovery code and then enrol a new factor. Members with no recovery codes left will need an admin to reset their MFA.

Also in this release: the Sessions page shows each member's active sessions with device and location, and admins can end a single session instead of all of them.
"""),
    ("chg-0008", "changelog", "2026-01-27", "Keystone 5.3 release notes: passkeys", """
Keystone 5.3 adds passkeys as a second factor and as a passwordless way to sign in for members who do not use SSO. Passkeys are stored by the operating system or a password manager and synchronised across the member's devices.

Each member can register up to 10 passkeys, and each passkey can be given a name so that it can be recognised and removed later. Passkeys count as a phishing-resistant factor, so they satisfy the strict MFA setting that previously required hardware security keys.

Admins can choose to allow passkeys for sign-in, for MFA only, or not at all, in Keystone > Security > Passkeys. The default for existing workspaces is MFA only; new workspaces allow passkeys for sign-in.

Fixes: the recovery code download now includes the workspace name, and the MFA reset email no longer shows the admin's email address to the member.
"""),
    ("chg-0009", "changelog", "2026-04-14", "Keystone 5.4 release notes: faster SCIM", """
Keystone 5.4 focuses on provisioning performance for large organisations. The SCIM rate limit per workspace is raised to 25 requests per second, and SCIM bulk requests now accept up to 1,000 operations per request, which lets identity providers push large changes in far fewer calls.

Group membership updates are now applied incrementally. Previously, a PATCH that added one member to a large group rewrote the whole membership list; now only the change is written, which makes membership updates for groups with tens of thousands of members finish in seconds.

The Provisioning page now shows the time of the last successful sync, the number of operations in the last 24 hours, and the ten most recent errors with their SCIM error codes.

Breaking change for a small number of integrations: SCIM responses now return the meta.version attribute as a quoted ETag, as the specification requires. Clients that compared it as a plain number need to be updated.
"""),
    ("chg-0010", "changelog", "2026-07-07", "Keystone 5.5 release notes: conditional access", """
Keystone 5.5 introduces conditional access for Enterprise workspaces. Admins can now write rules that allow, block or require a second factor for a sign-in based on the network, the country and the device.

A workspace can have up to 30 conditional access rules, evaluated from top to bottom; the first matching rule wins. Network conditions use CIDR ranges, and country conditions use the country of the IP address. Device conditions rely on Harbor Sync, which reports whether the device disk is encrypted and whether the operating system is supported.

Every rule can run in report-only mode first. In report-only mode the rule is evaluated and its decision written to Watchtower, but the sign-in is not affected. We recommend running new rules in report-only mode for a week.

Conditional access rules are checked at sign-in and again when a session is refreshed, so a member who moves to a blocked network loses access at the next refresh rather than immediately.
"""),
    ("chg-0011", "changelog", "2026-09-24", "Keystone 5.6 release notes: IdP-initiated sign-in", """
Keystone 5.6 adds support for IdP-initiated sign-in, where a member starts from the app tile in the identity provider portal instead of the Orlavik sign-in page. Many customers asked for this because their staff launch every application from one portal.

IdP-initiated sign-in is off by default, because it is more exposed to replay attacks than sign-in that starts at Orlavik. Admins can switch it on per SAML connection. When it is on, Keystone accepts an unsolicited assertion only once, and each assertion ID is remembered for a replay window of 8 minutes so that a captured assertion cannot be reused.

You can send a RelayState value to land members on a specific page; Keystone accepts relative paths on the Orlavik domain only.

Also new: the SAML trace of a failed sign-in is now kept for 30 days instead of 14, and the KS error code is shown to the member with a link to the matching help-centre article.
"""),
    ("rb-0005", "runbooks", "2025-12-04", "Runbook: spike in SSO sign-in failures", """
This runbook applies when the alert KeystoneSamlErrorRate fires. The alert fires when more than 5% of SAML sign-ins fail over 10 minutes across all workspaces; a single customer with a broken connection does not trigger it.

Open the Keystone dashboard and group failures by error code. A rise in KS-1131 across many workspaces at once almost always means clock drift on our side: check chrony on the keystone-auth hosts with the command kstool clock --check, and drain any host reporting drift above one second. A rise in KS-1107 across many workspaces suggests a bad deploy that changed entity IDs; roll back the last keystone-auth release.

If failures are spread across error codes and workspaces, look at the dependency panel for the session store and the HSM that holds signing keys. Page the identity on-call lead if the HSM reports errors.

Post an update on the status page if the failure rate stays above 5% for 25 minutes, even if the cause is not yet known. Customers notice SSO failures immediately and will open tickets within minutes.
"""),
    ("rb-0006", "runbooks", "2026-03-19", "Runbook: SCIM sync backlog", """
SCIM requests from identity providers are written to the scim-inbound queue and applied by the keystone-scim-worker service. The alert ScimQueueDepth fires when the scim-inbound queue holds more than 20,000 messages for 15 minutes.

First check whether one workspace dominates the queue, using the per-workspace panel. A single identity provider doing a full resync after a configuration change can enqueue hundreds of thousands of operations. That is expected; leave it to drain unless other workspaces are delayed by more than 30 minutes, in which case move the large workspace to the slow lane with kstool scim throttle.

If the queue is large across many workspaces, scale out the workers. The keystone-scim-worker service can safely run up to 24 replicas; beyond that the database connection pool becomes the bottleneck and adding replicas makes things slower.

Do not purge the queue. Purged operations are lost, and identity providers will not resend them until their next full sync, which can leave deactivated users signed in. After recovery, check that deactivations were applied first.
"""),
    ("rb-0007", "runbooks", "2026-05-05", "Runbook: rotating the Keystone SAML signing certificate", """
The Keystone SAML signing certificate is rotated once every three years on a planned date, and this runbook describes the steps. Start the rotation at least 60 days before the current certificate expires.

Generate the new key pair inside the HSM partition kms-keystone-prod; the private key must never leave the HSM. Stage the new certificate with kstool cert rotate --stage, which publishes it as the secondary certificate in the service provider metadata without using it for signing. Confirm with the metadata endpoint that both certificates are listed.

Ask customer support to send the notice email template to owners of workspaces whose identity provider does not read metadata. On the switch date, run kstool cert rotate --promote during the Tuesday change window, which makes the new certificate primary.

Watch KeystoneSamlErrorRate for an hour after promotion. If failures rise, demote with kstool cert rotate --demote, which restores the old certificate as primary without removing the new one. Remove the old certificate from metadata 7 days after promotion.
"""),
    ("rb-0008", "runbooks", "2026-06-23", "Runbook: customer locked out after enforcing SSO", """
Use this runbook when a customer has enforced SSO, their identity provider connection is broken, and no break-glass account works. This is a sensitive action because it bypasses the customer's own controls.

Verify the request before doing anything. The request must come from an owner of the workspace, and a second owner, or the customer's named security contact if there is only one owner, must confirm it on a recorded call. Never accept confirmation by email alone.

Once verified, create a temporary SSO bypass link with kstool bypass create for one named owner. The bypass link is valid for 4 hours and works once. The owner uses it to sign in with a password and fix or switch off SSO enforcement. Creating the link raises a Watchtower alert in the customer's workspace, which is intended.

Record the ticket number, the two people who verified the request and the link expiry in the identity on-call log. If the customer asks for a second bypass within 30 days, escalate to the identity on-call lead, Priya Castellanos, before creating it.
"""),
    ("sp-0002", "status-page", "2026-04-29", "Resolved: SSO sign-in errors in eu-2", """
Resolved. On 28 April 2026, between 07:42 and 08:20 UTC, some members of workspaces hosted in eu-2 could not sign in through SAML and saw the error KS-1131. The SSO sign-in errors in eu-2 lasted 38 minutes. Password sign-in, OIDC sign-in, Harbor Sync and Relay API tokens were not affected.

Cause: three of the keystone-auth hosts in eu-2 lost contact with their time source after a network change and their clocks drifted by more than the allowed skew. Assertions from identity providers looked as if they came from the future and were rejected.

Resolution: the affected hosts were removed from service at 08:14 UTC and their time synchronisation was restored before they returned. Failures stopped at 08:20 UTC.

Follow-up: keystone-auth hosts now refuse traffic automatically when their clock offset exceeds one second, and a second time source has been added in each region. No customer action is needed; members who saw KS-1131 can sign in normally.
"""),
]

UPDATES = [
    ("hc-0013", "2026-09-17", [
        ("The maximum session length admins can set for SSO users is 72 hours", "The maximum session length admins can set for SSO users is 96 hours"),
    ]),
    ("hc-0014", "2026-09-29", [
        ("A SCIM token is valid for 180 days", "A SCIM token is valid for 365 days"),
    ]),
    ("pol-0010", "2026-10-06", [
        ("A workspace can have a maximum of 6 owners", "A workspace can have a maximum of 10 owners"),
    ]),
]

QUESTIONS = [
    dict(q="What form does the entity ID have before the workspace ID?", a="urn:orlavik:keystone", docs=["hc-0011"]),
    dict(q="How often does Keystone check DNS for the verification TXT record?", a="every 15 minutes", aliases=["15 minutes"], docs=["hc-0012"]),
    dict(q="How many verified domains, including subdomains, can a workspace have?", a="50 verified domains", aliases=["50", "fifty"], docs=["hc-0012"]),
    dict(q="What is the default session length for SSO users?", a="10 hours", aliases=["ten hours", "10h"], docs=["hc-0013"]),
    dict(q="What is the maximum session length admins can set for SSO users?", a="96 hours", aliases=["96h", "four days"], docs=["hc-0013"], old="72 hours"),
    dict(q="After how long without activity does the idle timeout sign members out?", a="2 hours", aliases=["two hours"], docs=["hc-0013"]),
    dict(q="For how many days is a SCIM token valid?", a="365 days", aliases=["one year", "a year"], docs=["hc-0014"], old="180 days"),
    dict(q="What is the SCIM base URL to enter in the identity provider?", a="https://keystone.orlavik.example/scim/v2", aliases=["keystone.orlavik.example/scim/v2"], docs=["hc-0014"]),
    dict(q="How many groups can a single SCIM sync push?", a="2,500 groups", aliases=["2500 groups", "2,500"], docs=["hc-0014"]),
    dict(q="Which default role are new just-in-time users given?", a="Contributor", docs=["hc-0015"]),
    dict(q="Which SAML attribute assigns a different role to just-in-time users?", a="orlavik_role", docs=["hc-0015"]),
    dict(q="Which error code refuses just-in-time sign-in when the workspace has no free seats?", a="KS-1204", docs=["hc-0015"]),
    dict(q="How many break-glass accounts can be designated among the workspace owners?", a="3 break-glass accounts", aliases=["3", "three"], docs=["hc-0016"]),
    dict(q="How often should you test each break-glass account?", a="every 120 days", aliases=["120 days"], docs=["hc-0016"]),
    dict(q="Since members get 30 days to enrol a second factor after an admin enforces MFA, when must our members enrol?", a="within 6 days", aliases=["6 days", "six days"], docs=["hc-0017"], fp="30 days"),
    dict(q="How many recovery codes does Keystone generate when a member enrols their first factor?", a="12 recovery codes", aliases=["12", "twelve"], docs=["hc-0017"]),
    dict(q="What clock skew does Keystone allow between the identity provider and Keystone?", a="180 seconds", aliases=["3 minutes", "three minutes"], docs=["hc-0018"]),
    dict(q="Which error code appears when the Audience value in the SAML assertion does not match the entity ID?", a="KS-1107", docs=["hc-0019"]),
    dict(q="Since passwords for members who do not sign in through SSO must be at least 10 characters long, what minimum length should our password generator use?", a="14 characters", aliases=["14", "fourteen characters"], docs=["hc-0020"], fp="10 characters"),
    dict(q="How many failed sign-in attempts in a row lock the account?", a="8 failed sign-in attempts", aliases=["8", "eight"], docs=["hc-0020"]),
    dict(q="Which redirect URI do I use when I register Keystone as a web application in the identity provider?", a="https://keystone.orlavik.example/oidc/callback", aliases=["keystone.orlavik.example/oidc/callback"], docs=["hc-0021"]),
    dict(q="How many days are files owned by a deactivated member held?", a="40 days", aliases=["forty days"], docs=["pol-0007"]),
    dict(q="How many years is the Keystone SAML signing certificate valid from issue?", a="3 years", aliases=["three years"], docs=["pol-0008"]),
    dict(q="How many bits long must RSA signing keys used by identity providers be at least?", a="3072 bits", aliases=["3072"], docs=["pol-0009"]),
    dict(q="What is the maximum number of owners a workspace can have?", a="10 owners", aliases=["10", "ten owners"], docs=["pol-0010"], old="6 owners"),
    dict(q="When do invitations to join as an owner or admin expire if not accepted?", a="48 hours", aliases=["after 48 hours", "two days"], docs=["pol-0010"]),
    dict(q="For how many days did failed sign-ins keep their SAML trace in Keystone 5.0?", a="14 days", aliases=["two weeks"], docs=["chg-0006"]),
    dict(q="On what date will SMS codes stop working?", a="1 December 2025", aliases=["2025-12-01", "December 1, 2025"], docs=["chg-0007"]),
    dict(q="How many passkeys can each member register?", a="10 passkeys", aliases=["10", "ten passkeys"], docs=["chg-0008"]),
    dict(q="What is the SCIM rate limit per workspace raised to in Keystone 5.4?", a="25 requests per second", aliases=["25 per second"], docs=["chg-0009"]),
    dict(q="How many operations do SCIM bulk requests accept per request?", a="1,000 operations", aliases=["1000 operations", "1,000"], docs=["chg-0009"]),
    dict(q="How many conditional access rules can a workspace have?", a="30 conditional access rules", aliases=["30", "thirty rules"], docs=["chg-0010"]),
    dict(q="How long is the replay window for which each assertion ID is remembered?", a="8 minutes", aliases=["eight minutes"], docs=["chg-0011"]),
    dict(q="How many replicas of keystone-scim-worker can safely run?", a="24 replicas", aliases=["24"], docs=["rb-0006"]),
    dict(q="Which HSM partition must the new Keystone key pair be generated in?", a="kms-keystone-prod", docs=["rb-0007"]),
    dict(q="How many hours is the bypass link valid for?", a="4 hours", aliases=["four hours"], docs=["rb-0008"]),
    dict(q="Who is the identity on-call lead to escalate to before a second bypass?", a="Priya Castellanos", aliases=["Castellanos"], docs=["rb-0008"]),
    dict(q="How many minutes did the SSO sign-in errors in eu-2 last?", a="38 minutes", aliases=["38"], docs=["sp-0002"]),
]
