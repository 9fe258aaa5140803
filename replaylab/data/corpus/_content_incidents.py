# ruff: noqa: E501
"""Incidents: status page, severity levels, on-call, postmortems, incident runbooks. Hand-written content."""

TOPIC = "incidents"

DOCS = [
    ("hc-0062", "help-centre", "2025-06-10", "Subscribing to the Orlavik status page", """
The Orlavik status page at status.orlavik.example shows the current state of every product in every region, along with planned maintenance and the history of past incidents. It is hosted outside our own infrastructure, so it stays available during an outage.

You can subscribe to updates by email, RSS, Slack, Microsoft Teams or webhook. Each subscription can be limited to the components and regions you care about, for example only Harbor and Keystone in eu-2. Enterprise customers can also receive text messages for incidents rated major or critical.

Status page subscribers receive a notice of planned maintenance 6 days before it starts, a reminder one hour before, and a message when it ends. During an incident, subscribers receive every update we post until the incident is resolved.

If you see a problem that is not on the status page, open a support ticket with the time, the region and any error codes. Our monitoring catches most problems first, but customer reports help us find issues that affect only some workspaces.
"""),
    ("hc-0063", "help-centre", "2025-10-07", "How we communicate during an incident", """
When something goes wrong, we aim to tell you quickly and honestly, even before we know the cause. This article explains what you can expect from us during an incident.

We post the first status update within 20 minutes of confirming customer impact. The first post says which products and regions are affected and what members may notice; it does not wait for the cause to be known.

While an incident is open, the status page is updated every 60 minutes, even when there is nothing new to report, so that you know we are still working on it. When we expect a fix at a known time, we say so, and we correct the estimate if it changes.

After the incident is resolved, the final status post summarises the impact and the cause. For major and critical incidents we also publish a customer-facing postmortem on the status page. Enterprise customers can ask their account manager for a call with the engineering team about any incident that affected them.
"""),
    ("hc-0064", "help-centre", "2026-03-18", "Requesting an incident report", """
Enterprise customers can request a written incident report for any incident that affected their workspace, including minor ones that did not get a public postmortem. Incident reports help with your own compliance records and vendor reviews.

Request a report from your account manager or with a support ticket that names the incident from the status page. Incident reports can be requested up to 180 days after the incident is resolved. The report describes the timeline in UTC, the impact on your workspace specifically, the cause and the actions we are taking to prevent a repeat.

Reports are confidential and shared under your agreement with Orlavik. They do not include details about other customers or about security measures whose disclosure would weaken them.

If you need data for a service credit claim, mention it in the request. The report then includes the number of minutes of downtime measured for your workspace in the affected month, which you can use when claiming through Ledger.
"""),
    ("hc-0065", "help-centre", "2026-07-01", "What the status page indicators mean", """
Each component on the status page shows one of five indicators. This article explains what each one means so that you can judge whether a problem affects your members.

Operational means the component works normally. Degraded performance means the component works but is slower than usual or fails occasionally; most members can keep working. Partial outage means a noticeable share of requests fail, or a feature is unavailable in one region. Major outage means the component is unavailable for most members in the region. Under maintenance is shown during announced maintenance windows.

Incidents are labelled minor, major or critical. The label reflects the impact on customers, not the internal severity level our engineers use, although they usually match.

The uptime bars under each component show the last 120 days, with a colour for every day. Hover over a day to see the incidents on that day and their duration. Uptime percentages on the status page are measured by the same probes that the service credit policy uses.
"""),
    ("pol-0029", "policies", "2025-06-03", "Incident severity levels", """
Orlavik classifies every production incident by severity. The severity decides how fast we respond, who is involved and what follow-up is required. Any engineer can declare an incident, and the incident commander confirms or changes the severity.

A SEV1 incident is a full outage of a product in a region, a risk of customer data loss or a confirmed security breach. The on-call engineer must start responding to a SEV1 incident within 15 minutes, at any time of day.

A SEV2 incident is a major degradation or the outage of an important feature, such as uploads failing in one region. The response time for a SEV2 incident is 45 minutes, at any time of day.

A SEV3 incident is a minor problem with a workaround, such as slow previews. The response time for a SEV3 incident is 4 business hours. A SEV4 incident is cosmetic or affects a single customer, and is handled through the normal support queue.

SEV1 and SEV2 incidents always get a status page post and a postmortem.
"""),
    ("pol-0030", "policies", "2025-08-09", "Postmortem policy", """
Every SEV1 and SEV2 incident gets a written postmortem. Postmortems are blameless: they describe what happened and why our systems and processes allowed it, not who made a mistake.

The postmortem for a SEV1 incident is published within 7 business days of resolution. A SEV2 postmortem is finished within 10 business days and shared internally; it is published on the status page when customers were visibly affected. The incident commander owns the postmortem and names an author, who must have been involved in the incident.

Each postmortem contains a timeline in UTC, the customer impact in numbers, the root cause and contributing factors, what went well, and action items. Action items have an owner and a due date, and those that prevent a repeat must be finished within 35 days or explicitly accepted as a risk by the engineering director.

Postmortems are reviewed in the weekly reliability meeting, where the author presents the findings and the action items are agreed.
"""),
    ("pol-0031", "policies", "2025-11-25", "On-call policy", """
Orlavik engineers share on-call duty for the services their teams own. This policy sets the rules that keep on-call sustainable and the response reliable.

On-call shifts last one week. The on-call handover happens on Tuesdays at 10:00 UTC, so that the outgoing engineer can brief the incoming one during working hours in every office. Each service has a primary and a secondary on-call engineer.

The primary on-call engineer must acknowledge a page within 7 minutes. If a page is not acknowledged in time, it escalates automatically to the secondary, and then to the engineering manager of the team.

Nobody is on call for more than two weeks in any six-week period, and engineers who were paged during the night may start late the next day. On-call engineers receive an allowance for each week on call and time off in lieu for incidents outside working hours.
"""),
    ("pol-0032", "policies", "2026-02-09", "Planned maintenance policy", """
We sometimes need to take parts of the service offline briefly to upgrade databases or network equipment. This policy limits when that happens and how much it affects customers.

Planned maintenance takes place only inside the maintenance window for each region. The maintenance window is Sundays from 01:00 to 05:00 in the local time of the region's data centres, when usage is lowest. Maintenance outside the window needs approval from the engineering director.

Planned maintenance is announced on the status page at least 6 days before it starts. Announcements list the affected components, the expected impact and the expected duration. Total downtime caused by planned maintenance is limited to 4 hours per region per calendar quarter.

Most maintenance causes no downtime at all, because work is done on one data centre at a time. When downtime is unavoidable, Harbor stays readable and only writes pause.
"""),
    ("pol-0033", "policies", "2026-05-25", "Incident roles", """
Every incident of severity SEV2 or higher is run with named roles, so that the people fixing the problem are not also answering questions. One person can hold more than one role in a small incident.

The incident commander coordinates the response, decides on actions such as rollbacks and failovers, and sets the severity. The incident commander is handed over every 8 hours in long incidents, because decisions get worse when people are tired. The operations lead carries out the technical work with the engineers. The communications lead writes status page posts and updates support and account managers. The scribe keeps the timeline in the incident channel.

The communications lead must get approval from the incident commander before the first public post, but later posts do not need approval unless they mention the cause.

At the end of the incident, the incident commander declares it resolved, confirms the severity and names the postmortem author.
"""),
    ("chg-0036", "changelog", "2025-09-29", "Status page: regional components and webhooks", """
The Orlavik status page now shows each product separately for each region. Instead of one Harbor component, you now see Harbor in eu-2, Harbor in na-1 and Harbor in ap-3, so a problem in one region no longer looks like a global outage.

Existing email subscriptions have been moved to the regional components of the regions where your workspaces are hosted. You can change this under Manage subscription in any status email.

Webhook subscriptions are new. The status page can now send a JSON payload to your endpoint whenever an incident or maintenance is created, updated or resolved. Status page webhooks are retried for up to 2 hours if your endpoint does not answer, and each payload includes the component IDs so that you can route alerts automatically.

The incident history now goes back to January 2024 and can be filtered by component and region.
"""),
    ("chg-0037", "changelog", "2026-01-20", "Status page: Microsoft Teams notifications", """
You can now receive status page notifications in Microsoft Teams, alongside email, RSS, Slack and webhooks. Add the Orlavik Status app to a channel and choose the components and regions to follow.

Notifications in Teams and Slack now show the incident label, the affected components and the latest update in one card, with a button that opens the full incident on the status page. Updates to an incident are posted in the same thread, so a channel is not flooded during a long incident.

Each chat workspace can subscribe up to 20 channels to status notifications. Channels beyond that receive a message explaining the limit.

Fixed: planned maintenance reminders were sometimes sent twice to subscribers of more than one region. They are now sent once per maintenance. Fixed: the RSS feed used the time zone of the status page server instead of UTC for incident times.
"""),
    ("chg-0038", "changelog", "2026-06-24", "Status page: uptime history per component", """
The status page now shows uptime history for every component. Under each component, a row of bars shows each of the last 120 days, coloured by the worst status that day, with the uptime percentage for the period at the end of the row.

Hovering over a bar shows the incidents of that day with their duration and a link to the full incident. On mobile, tap a bar instead.

The uptime figures use the same probes as the service credit policy, measured every minute from three regions. Days before a component existed are shown in grey.

Also new: every resolved incident now has a permanent link that keeps working after the incident drops out of the 120-day view, which is useful for references in your own incident reports. The status page API exposes the same history at status.orlavik.example/api/v2/history.json.
"""),
    ("rb-0024", "runbooks", "2025-07-08", "Runbook: declaring an incident", """
Anyone at Orlavik can declare an incident, and it is always better to declare early and downgrade than to declare late. If you are unsure whether something is an incident, declare it.

Declare an incident by typing /incident declare in any chat channel and answering the prompts for a title, the affected service and a first guess at the severity. The incident bot creates a channel named inc- followed by the date and a short slug, pages the incident commander on call through Klaxon, our paging tool, and posts the bridge link.

Join the incident channel and the bridge, and write what you have seen so far in the channel: the alerts, the dashboards and the time it started. Do not start fixing anything large before the incident commander joins, unless waiting would clearly make the impact worse.

If the incident bot is down, page the incident commander directly in Klaxon and create the channel by hand using the same naming pattern.
"""),
    ("rb-0025", "runbooks", "2025-09-12", "Runbook: incident commander checklist", """
This checklist is for the incident commander in the first hour of an incident. Keep it open during every incident of severity SEV2 or higher.

In the first 10 minutes, confirm the severity, assign the operations lead, the communications lead and the scribe, and state the current understanding in the incident channel. Ask for a dashboard link and a list of recent deploys to the affected service.

The incident commander must make sure the first status page post goes out within 20 minutes of confirmed customer impact. A short, accurate post is better than a late, detailed one. Agree on an update schedule with the communications lead and keep to it.

Prefer actions that reduce impact over actions that find the cause. Roll back recent deploys first, fail over if a region is unhealthy, and shed load if a dependency is overloaded. Record every decision and its time in the channel. Hand over the incident commander role explicitly, with a written summary, and never leave the role unassigned.
"""),
    ("rb-0026", "runbooks", "2026-01-08", "Runbook: escalation and paging contacts", """
Pages go out through Klaxon, which follows the escalation policy of the service that raised the alert. This runbook lists who is paged when and how to reach people manually.

A page that the primary on-call engineer does not acknowledge within 7 minutes goes to the secondary. If the secondary does not acknowledge it within a further 10 minutes, Klaxon pages the engineering manager of the team that owns the service.

For every SEV1 incident, the incident commander also pages the executive on call, who handles communication with the leadership team and with large customers. The executive on-call rota is in Klaxon under the schedule exec-oncall; in the second half of 2026 the most common name there is Dana Whitlock, the VP of Engineering.

If Klaxon itself is unavailable, use the phone tree in the offline incident handbook, which every on-call engineer keeps on their phone. Never page people through personal messaging apps unless both Klaxon and the phone tree fail.
"""),
    ("rb-0027", "runbooks", "2026-03-05", "Runbook: posting on the status page", """
The communications lead posts status updates with stpctl, the status page command-line tool, or through the status page admin interface. Both use the same templates.

Create a new incident with stpctl incident create, choosing the affected components and regions and the customer-facing label: minor, major or critical. Use the templates for the first post; they describe the impact in terms members recognise, such as uploads failing, rather than internal service names.

Each update should say what is affected, what members can do in the meantime and when the next update will come. Do not name other customers, internal hostnames or suspected attackers. Do not guess the cause in public; say that the cause is under investigation until the incident commander confirms it.

When the incident is resolved, post a final update with the start and end times in UTC and a one-sentence summary of the cause. Link the public postmortem when it is published. If a post contains a mistake, correct it in a new update; never delete a status post.
"""),
    ("rb-0028", "runbooks", "2026-06-04", "Runbook: failing over Harbor to the secondary data centre", """
Each region runs Harbor in two data centres. Normally both serve traffic; a failover moves all traffic to one of them when the other is unhealthy. Only the incident commander can decide on a failover, after consulting the storage on-call lead.

Start the failover with regionctl failover followed by the region and the healthy data centre, for example regionctl failover --region eu-2 --to fra-b. The command drains traffic from the unhealthy data centre, promotes the database replicas in the healthy one and updates the routing. A complete Harbor failover takes about 35 minutes, during which uploads pause for a few minutes while the databases switch over.

Watch the upload success rate and the replication lag panel during the failover. If the promoted databases report replication lag above 60 seconds at the moment of promotion, stop and consult the database on-call before allowing writes.

Failing back is a separate, planned operation that runs in the maintenance window after the cause has been fixed. Never fail back during the incident.
"""),
    ("rb-0029", "runbooks", "2026-07-30", "Runbook: customers report an outage our monitoring missed", """
Sometimes customers see a problem before our alerts do, usually because it affects only some workspaces or one network path. Use this runbook when support receives several reports of the same problem that is not on the status page.

Support declares an incident when 3 or more customers report the same problem within 30 minutes, even if dashboards look healthy. Ask support for the workspace IDs, regions, error codes and times from the tickets, and look for what the affected workspaces have in common, such as a storage shard, an identity provider or an internet provider.

Use synthetic checks from the affected workspaces' regions and, if the customers agree, from their own networks through the diagnostics page at status.orlavik.example/diagnose.

Post on the status page once the problem is confirmed, even if it affects few customers. After the incident, the postmortem must include an action item for the missing alert, so that the same problem is caught by monitoring next time.
"""),
    ("rb-0030", "runbooks", "2026-08-27", "Runbook: writing the postmortem", """
The postmortem author writes the document in the postmortem template in the engineering wiki. Start within a day of resolution, while memories are fresh.

Build the timeline from the incident channel, Klaxon and the dashboards, with every time in UTC. Include when the problem started, when it was detected, when the incident was declared, the main decisions and when impact ended. The time from start to detection is often the most useful number in the document.

Describe the root cause and the contributing factors. Ask why repeatedly until you reach something we can change in a system or process. Avoid naming individuals; write about what the system allowed.

Action items go into the tracker with the label pm-action, an owner and a due date, and are linked from the document. The incident commander reviews the draft before it goes to the weekly reliability meeting. For a public postmortem, the communications lead prepares the customer version, which leaves out internal hostnames and security details.
"""),
    ("sp-0006", "status-page", "2025-08-20", "Resolved: Harbor web app slow in na-1", """
Resolved. On 19 August 2025, Harbor on the web was slow for workspaces hosted in na-1. From 14:02 to 15:26 UTC, Harbor pages in na-1 loaded slowly for 1 hour and 24 minutes, with some folder views taking more than ten seconds. Harbor Sync, the mobile apps and the Relay API were not affected.

Cause: a configuration change to the web tier's cache reduced the cache size in na-1 by mistake. Most page requests then went to the metadata database, which slowed down under the extra load.

Resolution: the configuration change was reverted at 15:10 UTC, and page load times were back to normal by 15:26 UTC as the cache filled again.

Follow-up: cache size changes are now validated against the expected size for each region before deployment, and a new alert watches the web cache hit rate. We are sorry for the disruption to your work.
"""),
    ("sp-0007", "status-page", "2025-11-12", "Resolved: Relay API returning maintenance errors", """
Resolved. On 11 November 2025, between 09:18 and 09:40 UTC, the Relay API returned the error RLY-5030 for requests to the files endpoints in all regions. The Relay API returned maintenance errors for 22 minutes. Harbor on the web, Harbor Sync and webhooks were not affected.

Cause: an engineer enabled the maintenance response for a single slow endpoint, but a mistake in the endpoint pattern matched every files endpoint. Integrations that retried with the Retry-After header recovered automatically once the setting was corrected.

Resolution: the maintenance response was removed at 09:38 UTC and requests succeeded again from 09:40 UTC.

Follow-up: relayctl now shows how many endpoints a pattern matches and asks for confirmation when it matches more than one, and maintenance responses now expire automatically after one hour unless renewed.
"""),
    ("sp-0008", "status-page", "2026-02-15", "Completed: database maintenance in ap-3", """
Completed. The planned maintenance to upgrade the Harbor metadata databases in ap-3 took place on Sunday 15 February 2026 in the regular maintenance window, and finished ahead of schedule.

During the maintenance, writes to Harbor in ap-3 were paused for 11 minutes while the primary databases switched to the upgraded version. Members could browse, open and download files throughout, and Harbor Sync queued local changes and uploaded them after the pause. No other region was affected.

The upgrade moves the ap-3 databases to the same version as eu-2 and na-1 and brings faster search in large folders.

This maintenance was announced on the status page on 6 February 2026. If you noticed problems after the maintenance ended, please contact support with your workspace ID and the time you saw them.
"""),
    ("sp-0009", "status-page", "2026-06-10", "Resolved: search results incomplete", """
Resolved. From 8 June 2026 at 22:15 UTC to 9 June at 00:55 UTC, new and changed files did not appear in Harbor search results for workspaces in all regions. The search index was behind by up to 2 hours and 40 minutes. Files themselves were available throughout and could be opened by browsing; only search was affected.

Cause: a routine upgrade of the search indexing workers introduced a bug that made them skip files whose names contained certain non-Latin characters, and the retries of those files blocked the indexing queue.

Resolution: the indexing workers were rolled back at 00:20 UTC and the queue was processed in the following 35 minutes. All files changed during the incident are now searchable.

Follow-up: the indexing test suite now includes file names in every script supported by Harbor, and an alert fires when the search index lag exceeds 15 minutes.
"""),
    ("sp-0010", "status-page", "2026-08-14", "Resolved: admin console unavailable", """
Resolved. On 13 August 2026, from 17:31 to 17:58 UTC, the Orlavik admin console was unavailable in all regions, and admins saw an error page when opening Keystone, Watchtower or Ledger settings. The admin console outage lasted 27 minutes. Members were not affected: sign-in, Harbor, Harbor Sync and the Relay API worked normally.

Cause: a new version of the admin console front end was deployed with a build setting that pointed it at a staging API address. Automated checks did not catch it because they ran against the staging environment, where the address was valid.

Resolution: the deploy was rolled back at 17:54 UTC, and the admin console was available again at 17:58 UTC.

Follow-up: post-deploy checks now run against production from outside our network, and the front end refuses to start if its API address does not match the environment.
"""),
    ("sp-0011", "status-page", "2026-09-09", "Resolved: notification emails delayed", """
Resolved. On 8 September 2026, emails from Orlavik, including sharing invitations, comment notifications and password reset emails, were delayed. At the worst point, notification emails were delayed by 1 hour and 50 minutes. No emails were lost, and all delayed emails have been delivered.

Cause: our transactional email provider throttled our sending after a sudden rise in volume, which came from a single workspace importing a large number of members at once. Every invitation in the import was sent immediately, and other emails queued behind them.

Resolution: the large batch was moved to a slower lane at 12:25 UTC, and the queue cleared by 13:40 UTC.

Follow-up: invitations from bulk imports are now sent at a steady rate, and password reset emails have their own queue so that they are never delayed by other emails.
"""),
]

UPDATES = [
    ("hc-0063", "2026-09-26", [
        ("the status page is updated every 60 minutes,", "the status page is updated every 40 minutes,"),
    ]),
    ("pol-0029", "2026-10-20", [
        ("The on-call engineer must start responding to a SEV1 incident within 15 minutes, at any time of day.", "The on-call engineer must start responding to a SEV1 incident within 10 minutes, at any time of day."),
    ]),
    ("pol-0030", "2026-09-14", [
        ("The postmortem for a SEV1 incident is published within 7 business days of resolution.", "The postmortem for a SEV1 incident is published within 5 business days of resolution."),
    ]),
]

QUESTIONS = [
    dict(q="How many days before planned maintenance starts do status page subscribers receive a notice?", a="6 days", aliases=["six days"], docs=["hc-0062", "pol-0032"]),
    dict(q="Within how many minutes of confirming customer impact do you post the first status update?", a="20 minutes", aliases=["twenty minutes"], docs=["hc-0063", "rb-0025"]),
    dict(q="While an incident is open, how often is the status page updated?", a="every 40 minutes", aliases=["40 minutes"], docs=["hc-0063"], old="every 60 minutes"),
    dict(q="Up to how many days after the incident is resolved can incident reports be requested?", a="180 days", aliases=["180"], docs=["hc-0064"]),
    dict(q="How many days do the uptime bars under each component show?", a="the last 120 days", aliases=["120 days"], docs=["hc-0065", "chg-0038"]),
    dict(q="Within how many minutes must the on-call engineer start responding to a SEV1 incident?", a="10 minutes", aliases=["ten minutes"], docs=["pol-0029"], old="15 minutes"),
    dict(q="What is the response time for a SEV2 incident?", a="45 minutes", aliases=["forty-five minutes"], docs=["pol-0029"]),
    dict(q="Since the response time for a SEV3 incident is 1 business hour, what response time should we expect for a SEV3 incident?", a="4 business hours", aliases=["four business hours"], docs=["pol-0029"], fp="1 business hour"),
    dict(q="Within how many business days of resolution is the postmortem for a SEV1 incident published?", a="5 business days", aliases=["five business days"], docs=["pol-0030"], old="7 business days"),
    dict(q="Within how many days must action items that prevent a repeat be finished?", a="35 days", aliases=["thirty-five days"], docs=["pol-0030"]),
    dict(q="When does the on-call handover happen so the outgoing engineer can brief the incoming one?", a="Tuesdays at 10:00 UTC", aliases=["Tuesday 10:00 UTC", "Tuesdays"], docs=["pol-0031"]),
    dict(q="Within how many minutes must the primary on-call engineer acknowledge a page?", a="7 minutes", aliases=["seven minutes"], docs=["pol-0031", "rb-0026"]),
    dict(q="When is the maintenance window in the local time of the region's data centres?", a="Sundays from 01:00 to 05:00", aliases=["Sunday 01:00-05:00", "Sundays 01:00 to 05:00"], docs=["pol-0032"]),
    dict(q="Since total downtime caused by planned maintenance is limited to 12 hours per region per calendar quarter, how much downtime can we expect at most?", a="4 hours", aliases=["four hours"], docs=["pol-0032"], fp="12 hours"),
    dict(q="How often is the incident commander handed over in long incidents?", a="every 8 hours", aliases=["8 hours"], docs=["pol-0033"]),
    dict(q="For how long are status page webhooks retried if your endpoint does not answer?", a="up to 2 hours", aliases=["2 hours", "two hours"], docs=["chg-0036"]),
    dict(q="How many channels can each chat workspace subscribe to status notifications?", a="20 channels", aliases=["20"], docs=["chg-0037"]),
    dict(q="Which address does the status page API expose the history at?", a="status.orlavik.example/api/v2/history.json", aliases=["/api/v2/history.json"], docs=["chg-0038"]),
    dict(q="What do I type in a chat channel to declare an incident?", a="/incident declare", aliases=["incident declare"], docs=["rb-0024"]),
    dict(q="What is the name of the paging tool the incident bot pages the incident commander through?", a="Klaxon", docs=["rb-0024"]),
    dict(q="Who is the most common name on the executive on-call rota in the second half of 2026?", a="Dana Whitlock", aliases=["Whitlock"], docs=["rb-0026"]),
    dict(q="Which command-line tool does the communications lead use to post status updates?", a="stpctl", docs=["rb-0027"]),
    dict(q="How long does a complete Harbor failover take?", a="about 35 minutes", aliases=["35 minutes"], docs=["rb-0028"]),
    dict(q="How many customers reporting the same problem within 30 minutes make support declare an incident?", a="3 or more customers", aliases=["3", "three customers"], docs=["rb-0029"]),
    dict(q="Which label do postmortem action items get in the tracker?", a="pm-action", docs=["rb-0030"]),
    dict(q="For how long did Harbor pages in na-1 load slowly?", a="1 hour and 24 minutes", aliases=["1 hour 24 minutes", "84 minutes"], docs=["sp-0006"]),
    dict(q="For how many minutes did the Relay API return maintenance errors?", a="22 minutes", aliases=["22"], docs=["sp-0007"]),
    dict(q="For how many minutes were writes to Harbor in ap-3 paused during the maintenance?", a="11 minutes", aliases=["eleven minutes"], docs=["sp-0008"]),
    dict(q="How far behind was the search index at most?", a="2 hours and 40 minutes", aliases=["2 hours 40 minutes", "160 minutes"], docs=["sp-0009"]),
    dict(q="How many minutes did the admin console outage last?", a="27 minutes", aliases=["27"], docs=["sp-0010"]),
    dict(q="At the worst point, how long were notification emails delayed?", a="1 hour and 50 minutes", aliases=["1 hour 50 minutes", "110 minutes"], docs=["sp-0011"]),
]
