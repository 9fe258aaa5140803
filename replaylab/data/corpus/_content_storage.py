# ruff: noqa: E501
"""Storage: Orlavik Harbor files, quotas, versions, trash, sharing, archive, restore. Hand-written content."""

TOPIC = "storage"

DOCS = [
    ("hc-0030", "help-centre", "2025-06-08", "Storage allowances on each plan", """
Every Harbor workspace has a storage allowance that grows with the number of paid seats. The allowance is pooled, so one person can use more than their share as long as the workspace as a whole stays within the total.

On the Starter plan each paid seat adds 30 GB per user to the pool. The Team plan includes 1 TB of storage per user. The Business plan includes 2 TB of storage per user. Enterprise storage is set in the order form. Files in the trash and older versions of files count toward the allowance; files in Harbor Archive do not.

When a workspace is over its allowance, new uploads are refused with the error HRB-507 and members see a banner asking them to contact an admin. Existing files stay available and can still be downloaded, moved, shared and deleted.

Admins can see how storage is used in Harbor > Storage, broken down by space and by member. To create room, empty the trash, trim version history, move inactive folders to Harbor Archive or buy storage add-on packs in Ledger.
"""),
    ("hc-0031", "help-centre", "2025-07-10", "How large can an uploaded file be?", """
The largest file you can upload depends on how you upload it. In Harbor on the web, the maximum size of a single file upload is 15 GB. Browsers are not reliable for very large transfers, so the web limit is lower than for the other upload routes.

Harbor Sync and the Relay API accept files up to 250 GB each, because they upload in resumable chunks and can continue after a network interruption without starting again. If you regularly work with very large files, such as raw video or disk images, use Harbor Sync.

A file above the limit is refused with the error HRB-413 before the upload starts, so no time is wasted sending it. There is no limit on the number of files in a single upload, but a folder upload on the web is processed in batches of 500 files, and the progress bar shows each batch.

Uploaded files count toward your storage allowance as soon as the upload completes. Interrupted uploads that are not resumed are discarded after a day and never count toward the allowance.
"""),
    ("hc-0032", "help-centre", "2025-08-21", "Version history", """
Harbor keeps earlier versions of a file every time it changes, so you can see who changed what and go back to an older version. Open the file's menu and choose Version history to see every version with its author and time.

How long versions are kept depends on the plan. The Team plan keeps file versions for 100 days. On the Business plan, file versions are kept for 270 days. Enterprise workspaces choose their own version retention in the admin console, including keeping versions forever.

Whatever the plan, Harbor keeps at most 250 versions of each file; when a file gets its 251st version, the oldest version is removed. Version history is not available on the Starter plan, where only the current version is kept.

Restoring a version creates a new current version with the old content, so nothing is lost by restoring. Older versions count toward the storage allowance, which is why a file that is edited often can use more storage than its current size suggests. Admins can trim version history for a space in Harbor > Storage.
"""),
    ("hc-0033", "help-centre", "2025-09-25", "Deleted files and the trash", """
When you delete a file or folder in Harbor, it goes to the trash of the space it was in rather than disappearing straight away. You can restore it from the trash with its sharing settings and version history intact.

Deleted items stay in the trash for 45 days. After that they are removed permanently by a nightly job, and they can no longer be restored by members or admins. Items in the trash count toward the storage allowance until they are removed.

Members can restore their own deleted items. Admins can restore any deleted item in the workspace from Harbor > Trash, which is useful when someone deleted a shared folder by mistake or when a member has left. On the Business and Enterprise plans, only admins can empty the trash early; on Starter and Team, the member who deleted an item can also remove it permanently.

If many files were deleted at once, for example by a faulty script, use Bulk restore in Harbor > Trash and filter by the member and the time range. Bulk restore handles up to 100,000 items per run.
"""),
    ("hc-0034", "help-centre", "2025-11-04", "Sharing links and their expiry", """
Sharing links let people outside your workspace view or download a file or folder without an account. Create one from the Share menu and choose who can use it: anyone with the link, people in your workspace, or people with a password.

Public sharing links expire after 21 days by default. When you create a link you can choose a different expiry, up to a maximum of 365 days, or no expiry if your admin allows it. Admins can change the default and the maximum for the whole workspace in Harbor > Sharing.

Password-protected links are available on the Team plan and above. You can also set a download limit of up to 1,000 downloads, after which the link stops working; this is useful for distributing a large file to a known audience.

Links can be revoked at any time from the Share menu or by an admin from Harbor > Sharing > All links, which lists every active link in the workspace with its creator and expiry. Every use of a link is recorded in the audit log on Business and Enterprise.
"""),
    ("hc-0035", "help-centre", "2025-12-11", "File name and path limits", """
Harbor accepts almost any file name, but a few limits keep files usable on every operating system that Harbor Sync supports.

The full path of a file, from the space name to the file name, can be at most 400 characters. A single file or folder name can be at most 255 bytes; names with accented letters or non-Latin scripts use more than one byte per character, so they reach the limit sooner. A single folder can contain at most 100,000 items directly inside it; deeper folders do not count toward this.

Names cannot contain the characters backslash, colon, asterisk, question mark, quotation mark, less-than, greater-than or vertical bar, and they cannot end with a space or a dot. Harbor Sync renames local files that break these rules by replacing the character with an underscore and adds a note in the sync activity list.

Names are case-insensitive within a folder, so Report.docx and report.docx cannot sit side by side.
"""),
    ("hc-0036", "help-centre", "2026-01-14", "Moving inactive folders to Harbor Archive", """
Harbor Archive is a cold storage tier for files that must be kept but are rarely opened, such as finished projects. Files in Harbor Archive do not count toward the storage allowance and are billed at a lower rate.

Admins can archive a folder by hand or create lifecycle rules that move folders automatically. A typical rule archives any folder that nobody has opened for 180 days. Archived folders stay visible in Harbor with a snowflake icon, and their names, sizes and sharing settings can still be seen and searched.

Opening an archived file requires a retrieval. Retrieving archived files takes up to 6 hours, after which the folder returns to the normal tier and members receive an email. Retrieved folders are archived again by the lifecycle rule if they stay unused.

Files moved to Harbor Archive must stay there for at least 60 days; retrieving or deleting them earlier is possible but is billed as if they had stayed for the full minimum period.
"""),
    ("hc-0037", "help-centre", "2026-02-24", "Exporting a whole workspace", """
Owners can export the contents of a workspace, for example before closing it or to keep an offline copy. Open Harbor > Export, choose the spaces to include and start the export.

Large workspaces are split across several export jobs. Each export job can contain up to 2 TB of data, and Harbor creates as many jobs as needed. Files are packaged as ZIP archives of at most 50 GB each, with the folder structure preserved. Version history, comments and sharing settings are included as JSON files next to the content.

When an export job is ready, owners receive an email with a download link. Export download links stay valid for 7 days; after that the export is deleted and must be started again. Archived files are included only if you tick Include archived files, which adds the retrieval time to the export.

Exports are recorded in the audit log. Treat the exported archives as carefully as the workspace itself, because they contain every file without the workspace's access controls.
"""),
    ("hc-0038", "help-centre", "2026-04-02", "Legal hold", """
A legal hold preserves files when litigation or an investigation is expected. While a hold is active, files of the people under the hold cannot be permanently deleted, even if members delete them or retention rules would normally remove them. Legal hold is available on Enterprise.

Create a hold in Harbor > Legal holds, give it a name and matter number, and add the custodians, who are the members whose files must be preserved. A single legal hold can include up to 500 custodians; create several holds for larger matters. You can also place whole spaces under hold.

Held content includes every version and every deleted file from the moment the hold starts. Members under hold are not told about it unless you choose to notify them, and their daily work does not change.

Only owners and members with the Legal admin permission can create or release holds, and every change to a hold is recorded in the audit log. Releasing a hold lets normal retention resume from that day.
"""),
    ("hc-0039", "help-centre", "2026-05-14", "Previewing files in the browser", """
Harbor shows previews of documents, images, audio and video in the browser, so you can check a file without downloading it. Previews are available for more than 140 file formats, including office documents, PDFs, CAD drawings and common raw camera formats.

Harbor generates previews for files up to 500 MB. Larger files show an icon and a download button instead. Video previews are limited to the first 20 minutes of the video, and audio previews are limited to the first hour.

Previews are generated the first time someone opens the file and are then cached. A new preview is created when the file changes. If a preview shows an older version of a file that was just changed, wait a minute and reload.

Previews respect the same permissions as the file itself. People who can view but not download a file see a preview with downloading turned off, and on Business and Enterprise, admins can add a watermark with the viewer's email address to every preview.
"""),
    ("pol-0020", "policies", "2025-07-29", "Storage fair use policy", """
Harbor is built for people working with files together. This fair use policy explains the limits that keep the service fast for every customer on shared infrastructure.

Harbor must not be used as a backup target for servers, databases or whole computers, and must not be used to host files for public websites or software downloads at scale. Occasional large public downloads are fine; a workspace whose sharing links serve more than 20 TB per month is contacted to move that traffic elsewhere.

Each workspace can ingest at most 5 TB per day across all upload routes. Uploads beyond the daily ingest limit are slowed rather than refused, and the limit resets at midnight UTC. Enterprise customers with larger migrations can ask for a temporary increase during onboarding.

We contact the workspace owner before taking any action under this policy and give at least 14 days to change the pattern of use. We never delete customer files because of fair use.
"""),
    ("pol-0021", "policies", "2025-10-28", "Backup and recovery objectives", """
This policy states the recovery objectives Orlavik designs Harbor to meet, so that customers can include them in their own business continuity plans.

All file data is stored in at least two data centres within the workspace region. The recovery point objective for Harbor is 20 minutes, which means that in a disaster affecting a whole data centre, at most the last 20 minutes of changes could be lost. The recovery time objective for Harbor is 5 hours, measured from the declaration of a disaster to the restoration of read and write access.

Backups are taken continuously as incremental snapshots and are kept on a rolling cycle. Backups are encrypted with separate keys and stored in the same region as the workspace. Restores from backup are tested every month on a sample of workspaces, and a full regional failover is rehearsed twice a year.

These objectives describe our design targets and are not a service credit commitment; uptime credits are covered by the service credit policy.
"""),
    ("pol-0022", "policies", "2026-03-02", "Malware scanning of uploaded files", """
Harbor scans uploaded files for malware to protect members and the people they share files with. This policy describes what is scanned and what happens to infected files.

Every file uploaded through the web, Harbor Sync or the Relay API is scanned shortly after upload. Files larger than 4 GB are not scanned for malware because scanning them would delay availability too much; they are marked as Not scanned in the file details.

An infected file is moved to quarantine and cannot be downloaded, previewed or shared. The member who uploaded it and the workspace admins are notified. Quarantined files are kept for 14 days so that an admin can review a false positive and release it, after which they are deleted permanently.

Scanning engines are updated several times a day. When an update finds malware in a file that was previously clean, the file is quarantined in the same way. Orlavik does not open or inspect the content of files beyond automated scanning.
"""),
    ("pol-0023", "policies", "2026-06-11", "Point-in-time restore", """
Point-in-time restore returns a whole space or workspace to the state it was in at a chosen moment, which is the fastest way to recover from ransomware, a faulty sync client or a mass deletion. It is available on Business and Enterprise.

Point-in-time restore can go back up to 30 days. Owners choose the space or the workspace, the moment to restore to, and whether to restore into place or into a new space. Restoring into a new space is recommended, because it leaves the current state untouched for comparison.

Restores are carried out by Harbor in the background. Small spaces are usually restored within minutes, and large workspaces within a few hours. Files that were created after the chosen moment are not deleted by a restore into place; they are moved into a folder named after the restore job.

Every restore is recorded in the audit log. Point-in-time restore is not available for files in Harbor Archive, which have their own retrieval process.
"""),
    ("chg-0016", "changelog", "2025-08-12", "Harbor 9.0 release notes", """
Harbor 9.0 brings a new file browser for the web. Folders open instantly from a local cache, drag and drop works between browser tabs, and the column view remembers its layout per space.

Under the hood, Harbor now stores files with block-level deduplication. Files are split into 4 MB blocks, and identical blocks are stored once per workspace. Members do not see any difference, but uploads of files that are mostly unchanged, such as a new draft of a large presentation, finish much faster because only new blocks are sent.

Deduplication never crosses workspaces, so the contents of one customer's files cannot be inferred from another's upload times.

Also in 9.0: search results now show a snippet of the matching text for documents, the Recent view includes files opened in Harbor Sync, and the keyboard shortcut for uploading is now U instead of Ctrl plus U.
"""),
    ("chg-0017", "changelog", "2025-11-25", "Harbor 9.2 release notes: Harbor Archive", """
Harbor 9.2 introduces Harbor Archive, a cold storage tier for files that must be kept but are rarely used. Archived files stay visible and searchable in Harbor, and they do not count toward the storage allowance.

Admins can archive folders by hand or with lifecycle rules. A workspace can have up to 20 lifecycle rules, each combining a scope, such as a space or a folder path, with a condition, such as no access for a number of days. Rules run every night and list their actions in the activity log.

Retrieval of archived files is started by opening an archived file or by an admin from Harbor > Archive, and the folder returns to the normal tier when the retrieval finishes. Pricing for Harbor Archive is listed in Ledger and in the help centre.

Harbor Archive is available on Team, Business and Enterprise. Starter workspaces can view the feature but not use it.
"""),
    ("chg-0018", "changelog", "2026-01-28", "Harbor 9.4 release notes: faster uploads", """
Harbor 9.4 makes large uploads from the web much faster. The browser now uploads files in parallel chunks of 16 MB, with up to four chunks in flight at once, instead of sending each file as one stream.

Web uploads are now resumable. If the connection drops or the laptop goes to sleep, an interrupted web upload can be resumed for 24 hours by opening Harbor in the same browser; only the missing chunks are sent. After that, the partial upload is discarded.

Upload progress now shows the remaining time and the transfer speed, and a failed file in a folder upload no longer stops the rest of the batch.

Admins on Business and Enterprise can see failed uploads for the workspace in Harbor > Storage > Upload issues, with the error code for each failure. The most common codes are HRB-413 for files that are too large and HRB-507 for a workspace that is over its allowance.
"""),
    ("chg-0019", "changelog", "2026-04-21", "Harbor 9.5 release notes: storage insights", """
Harbor 9.5 adds storage insights, a report that helps admins understand what is using space. Open Harbor > Storage > Insights to see the largest folders, the fastest growing spaces and how much space is used by old versions and the trash.

The report lists the 200 largest folders in the workspace, with their owner, size and the date of the last access, so that candidates for archiving are easy to find. Storage insights are refreshed every 6 hours, and each view shows the time of the last refresh.

From the report, admins can archive a folder, trim its version history or contact its owner without leaving the page.

Also in this release: the Storage page shows a forecast of when the workspace will reach its allowance at the current growth rate, and Ledger links there from the storage add-on page.
"""),
    ("chg-0020", "changelog", "2026-07-15", "Harbor 9.7 release notes: link controls", """
Harbor 9.7 gives admins more control over sharing links. Admins can now require an expiry for every public link, block links without a password for selected spaces, and apply watermarks to files downloaded through links.

Watermarked downloads add the recipient's email address, or the link name for public links, to every page of PDF and office documents. Watermarking applies to files up to 300 MB; larger files are downloaded without a watermark and the link owner is warned when creating the link.

Link owners now receive a weekly digest of their active links, listing each link with its number of uses in the last week and its expiry date.

Fixed: links with a download limit sometimes counted a single resumed download twice. Resumed downloads now count once, and links that were closed early by the double counting have been reopened.
"""),
    ("chg-0021", "changelog", "2026-10-08", "Harbor 9.8 release notes: space quotas", """
Harbor 9.8 introduces space quotas. Admins can now cap how much of the workspace storage allowance a single space can use, which stops one busy project from crowding out everyone else.

A space quota can be set between a minimum of 5 GB and the whole workspace allowance. When a space reaches its quota, uploads into that space are refused with the error HRB-508, and the space owners receive an email. Other spaces are not affected.

Quotas count the same things as the workspace allowance: current files, older versions and files in the trash, but not files in Harbor Archive.

Admins can see each space's usage against its quota in Harbor > Storage, and the storage insights report now shows spaces that are within 10% of their quota.
"""),
    ("rb-0013", "runbooks", "2025-10-16", "Runbook: high upload error rate", """
This runbook covers the alert HarborUploadErrors, which fires when more than 2% of uploads fail over 5 minutes in any region. Normal failure rates are below 0.3%, mostly from customers over their allowance.

Open the Harbor ingest dashboard and split failures by error code. A rise in HRB-507 or HRB-413 is a customer-side pattern and is not an incident unless it follows a deploy that changed limits. A rise in HRB-500 or HRB-503 points to our side.

For server-side errors, check the object store harbor-blob first; its health panel shows write latency and error rate per storage node. If one storage node is failing, mark it read-only with hbctl node drain followed by the node name, and the ingest service routes writes to the others.

If errors began right after a deploy of harbor-ingest, roll it back. If errors are across every node with no deploy, check the TLS certificates of the upload endpoints: the eu-2 outage in April 2026 was an expired certificate. Post on the status page once the error rate has been above 2% for 10 minutes.
"""),
    ("rb-0014", "runbooks", "2026-02-10", "Runbook: storage node disk filling up", """
Harbor storage nodes hold file blocks for the harbor-blob object store. The alert BlobNodeDiskHigh fires when a storage node's disk is more than 85% full, and the alert BlobNodeDiskCritical fires at 93%.

At 85%, start a rebalance that moves blocks from the full node to emptier nodes in the same data centre with hbctl rebalance followed by the node name. A rebalance moves data at up to 400 MB per second per node, so a large node takes several hours; the command shows the estimated time.

At 93%, mark the node read-only with hbctl node drain so that no new blocks land on it, and continue the rebalance. A node that reaches 97% refuses writes on its own, which the ingest service handles by retrying on other nodes, but at that point rebalancing slows down because of disk contention.

If the whole data centre is above 80% on average, rebalancing will not help. Page the storage capacity owner to bring spare nodes into service, which takes about two days.
"""),
    ("rb-0015", "runbooks", "2026-05-07", "Runbook: customer asks support to restore deleted files", """
Most restores are done by customers themselves from the trash or with point-in-time restore. Use this runbook when a customer cannot do it, for example because the trash period has passed or an admin account is unavailable.

Verify that the request comes from an owner of the workspace. Requests from other members must be confirmed by an owner in the ticket.

Files still within the point-in-time restore window are restored from snapshots with hbctl restore --space followed by the space ID and the timestamp, always into a new space. Restores run at about 1 TB per hour, so give the customer an estimate before starting. Files deleted from the trash more than the restore window ago may still exist in backups, but restoring from backups requires approval from the storage on-call lead, Mateus Okafor, because it involves the backup systems.

Tell the customer which files could not be restored. Record the restore job ID in the ticket, because the customer will see it as the name of the folder that holds the restored files.
"""),
    ("rb-0016", "runbooks", "2026-08-06", "Runbook: file previews not appearing", """
Previews are generated by the preview-render service, which takes jobs from the preview-jobs queue. When it falls behind, members see spinning placeholders instead of previews, although the files themselves are fine.

The alert PreviewQueueDelay fires when the oldest job in the preview-jobs queue is more than 10 minutes old. Check the preview dashboard to see whether the service is slow on every format or only on one. A single slow format, often a new version of a CAD or raw photo format, can block workers; move that format to the quarantine lane with previewctl lane quarantine followed by the format name.

If all formats are slow, scale out. The preview-render service can run up to 60 workers per region; beyond that, shared GPU capacity for video previews is exhausted.

Previews are not critical, so do not post on the status page unless the delay exceeds one hour. Never purge the preview-jobs queue; previews would then only be created the next time each file is opened.
"""),
    ("sp-0003", "status-page", "2026-04-17", "Resolved: uploads failing in eu-2", """
Resolved. On 16 April 2026, from 13:05 to 13:52 UTC, uploads to Harbor workspaces hosted in eu-2 failed for web, Harbor Sync and Relay API clients. The upload failures in eu-2 lasted 47 minutes. Downloads, previews and sharing links kept working, and no data was lost.

Cause: the TLS certificate of the eu-2 upload endpoint expired. Automatic renewal had succeeded for the other regions, but a manual DNS change had made the renewal check fail for eu-2, and the warning went to a mailbox that was no longer monitored.

Resolution: a new certificate was issued and deployed at 13:49 UTC, and upload success rates returned to normal by 13:52 UTC. Harbor Sync clients retried automatically, so most members did not need to do anything; files stuck with an upload error can be retried from the sync activity list.

Follow-up: certificate expiry alerts now page the security on-call engineer, and certificate renewal is checked from every region.
"""),
]

UPDATES = [
    ("hc-0031", "2026-09-12", [
        ("In Harbor on the web, the maximum size of a single file upload is 15 GB.", "In Harbor on the web, the maximum size of a single file upload is 20 GB."),
    ]),
    ("hc-0033", "2026-10-01", [
        ("Deleted items stay in the trash for 45 days.", "Deleted items stay in the trash for 60 days."),
    ]),
    ("pol-0023", "2026-09-25", [
        ("Point-in-time restore can go back up to 30 days.", "Point-in-time restore can go back up to 45 days."),
    ]),
]

QUESTIONS = [
    dict(q="How much storage does the Team plan include per user?", a="1 TB", aliases=["one terabyte", "1 terabyte"], docs=["hc-0030"]),
    dict(q="How much storage does the Business plan include per user?", a="2 TB", aliases=["two terabytes", "2 terabytes"], docs=["hc-0030"]),
    dict(q="Which error code refuses new uploads when a workspace is over its allowance?", a="HRB-507", docs=["hc-0030"]),
    dict(q="What is the maximum size of a single file upload in Harbor on the web?", a="20 GB", aliases=["20 gigabytes"], docs=["hc-0031"], old="15 GB"),
    dict(q="Since Harbor Sync and the Relay API accept files only up to 100 GB, what is the largest file they accept?", a="250 GB", aliases=["250 gigabytes"], docs=["hc-0031"], fp="100 GB"),
    dict(q="How long does the Team plan keep file versions?", a="100 days", aliases=["100"], docs=["hc-0032"]),
    dict(q="How long are file versions kept on the Business plan?", a="270 days", aliases=["270"], docs=["hc-0032"]),
    dict(q="Whatever the plan, how many versions of each file does Harbor keep at most?", a="250 versions", aliases=["250"], docs=["hc-0032"]),
    dict(q="How many days do deleted items stay in the trash?", a="60 days", aliases=["60", "sixty days"], docs=["hc-0033"], old="45 days"),
    dict(q="How many items can bulk restore handle per run?", a="100,000 items", aliases=["100000 items", "100,000"], docs=["hc-0033"]),
    dict(q="After how many days do public sharing links expire by default?", a="21 days", aliases=["21", "three weeks"], docs=["hc-0034"]),
    dict(q="What download limit can I set on a sharing link?", a="1,000 downloads", aliases=["1000 downloads", "1,000"], docs=["hc-0034"]),
    dict(q="How many characters can the full path of a file be at most?", a="400 characters", aliases=["400"], docs=["hc-0035"]),
    dict(q="Since a single folder can contain 1,000,000 items directly inside it, how many items can I put in one folder?", a="100,000 items", aliases=["100000 items", "100,000"], docs=["hc-0035"], fp="1,000,000 items"),
    dict(q="How long does retrieving archived files take?", a="up to 6 hours", aliases=["6 hours", "six hours"], docs=["hc-0036"]),
    dict(q="For at least how many days must files moved to Harbor Archive stay there?", a="60 days", aliases=["60"], docs=["hc-0036"]),
    dict(q="How much data can each export job contain?", a="2 TB", aliases=["two terabytes"], docs=["hc-0037"]),
    dict(q="How many custodians can a single legal hold include?", a="500 custodians", aliases=["500"], docs=["hc-0038"]),
    dict(q="Harbor generates previews for files up to what size?", a="500 MB", aliases=["500 megabytes"], docs=["hc-0039"]),
    dict(q="How much can each workspace ingest per day across all upload routes?", a="5 TB per day", aliases=["5 TB"], docs=["pol-0020"]),
    dict(q="What is the recovery point objective for Harbor?", a="20 minutes", aliases=["twenty minutes"], docs=["pol-0021"]),
    dict(q="What is the recovery time objective for Harbor?", a="5 hours", aliases=["five hours"], docs=["pol-0021"]),
    dict(q="Files larger than what size are not scanned for malware?", a="4 GB", aliases=["4 gigabytes"], docs=["pol-0022"]),
    dict(q="How far back can point-in-time restore go?", a="45 days", aliases=["45"], docs=["pol-0023"], old="30 days"),
    dict(q="What size blocks are files split into for deduplication?", a="4 MB", aliases=["4 megabytes"], docs=["chg-0016"]),
    dict(q="How many lifecycle rules can a workspace have?", a="20 lifecycle rules", aliases=["20"], docs=["chg-0017"]),
    dict(q="How large are the parallel chunks the browser now uploads files in?", a="16 MB", aliases=["16 megabytes"], docs=["chg-0018"]),
    dict(q="How often are storage insights refreshed?", a="every 6 hours", aliases=["6 hours"], docs=["chg-0019"]),
    dict(q="What is the minimum a space quota can be set to?", a="5 GB", aliases=["5 gigabytes"], docs=["chg-0021"]),
    dict(q="Which error code refuses uploads into a space that reached its quota?", a="HRB-508", docs=["chg-0021"]),
    dict(q="Which hbctl command marks a failing storage node read-only?", a="hbctl node drain", docs=["rb-0013", "rb-0014"]),
    dict(q="At what disk percentage does the alert BlobNodeDiskCritical fire?", a="93%", aliases=["93 percent"], docs=["rb-0014"]),
    dict(q="Who is the storage on-call lead that approves restoring from backups?", a="Mateus Okafor", aliases=["Okafor"], docs=["rb-0015"]),
    dict(q="How many workers per region can preview-render run?", a="60 workers", aliases=["60"], docs=["rb-0016"]),
    dict(q="How many minutes did the upload failures in eu-2 last?", a="47 minutes", aliases=["47"], docs=["sp-0003"]),
]
