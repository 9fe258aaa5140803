# ruff: noqa: E501
"""Sync clients: Harbor Sync for desktop and the Harbor mobile apps. Hand-written content."""

TOPIC = "sync"

DOCS = [
    ("hc-0051", "help-centre", "2025-06-22", "Installing Harbor Sync", """
Harbor Sync is the desktop app that keeps Harbor files on your computer and uploads your changes in the background. Download it from the Harbor web app under your profile menu, or ask your IT team if they deploy it centrally.

Harbor Sync runs on Windows 10 version 22H2 and later and on Windows 11. On a Mac, Harbor Sync requires macOS 13 or later. A Linux version for Ubuntu 22.04 and later is available as a beta. The installer needs at least 2 GB of free disk space for the app and its database, in addition to the space used by the files you keep offline.

Harbor Sync installs for the current user and does not need administrator rights. IT teams can use the MSI package on Windows or the PKG package on macOS to install it for every user and preconfigure the workspace.

After installation, sign in with your Orlavik account. By default Harbor Sync creates a folder called Harbor in your home folder, and you can move it to another drive from Preferences > Account.
"""),
    ("hc-0052", "help-centre", "2025-07-31", "Files On-Demand and the local cache", """
With Files On-Demand, Harbor Sync shows every file in your workspace in the Harbor folder without downloading them all. Files that are not on your computer appear with a cloud icon and take up almost no space. When you open one, Harbor Sync downloads it in the background.

Downloaded files are kept in a local cache. The default size of the local cache is 20 GB, and you can set it anywhere between 5 GB and 500 GB in Preferences > Storage. When the cache is full, Harbor Sync frees space by turning the least recently opened files back into cloud placeholders. Files with local changes that have not been uploaded yet are never removed.

To keep a file or folder available offline at all times, right-click it and choose Always keep on this device. Pinned files do not count toward the cache limit, so pin carefully on small disks.

Files On-Demand is on by default on Windows and macOS. On Linux it is part of the beta and must be switched on in Preferences.
"""),
    ("hc-0053", "help-centre", "2025-09-05", "LAN sync", """
LAN sync lets computers on the same local network copy file blocks from each other instead of each downloading them from Harbor. When a large file is added to a shared folder, the first computer downloads it and the others fetch it from that computer over the office network, which saves internet bandwidth.

Harbor Sync finds other computers with LAN sync through discovery broadcasts on UDP port 17650. File blocks are transferred over TCP port 17651, and every transfer is encrypted and checked against the block hashes from Harbor, so a computer can only receive blocks for files its user is allowed to see.

If your firewall blocks these ports, LAN sync quietly falls back to downloading from Harbor. To allow it, open both ports for traffic inside your local network only; they never need to be open to the internet.

LAN sync is on by default. Admins can switch it off for the whole workspace in the admin console, and members can switch it off on their own computer in Preferences > Network.
"""),
    ("hc-0054", "help-centre", "2025-10-23", "When Harbor Sync creates a conflicted copy", """
A conflict happens when the same file is changed in two places before Harbor Sync has had a chance to sync the first change, for example when two colleagues edit a spreadsheet offline on a train.

Harbor Sync never throws away either version. It keeps the version that reached Harbor first under the original name and saves the other one next to it with conflicted copy, the device name and the date added to the file name. Both people receive a notification, and the sync activity list links to both files so that they can compare them and merge the changes by hand.

Office documents opened from Harbor in the browser use live co-authoring, so they do not produce conflicts. Conflicts are most common with files edited in desktop apps while a computer is offline.

To find all conflicted copies in a space, search Harbor for the words conflicted copy. Deleting a conflicted copy does not affect the original file.
"""),
    ("hc-0055", "help-centre", "2025-12-02", "How many devices can each member link?", """
Each member can link a limited number of computers and phones to their account through Harbor Sync and the mobile apps. The limit depends on the plan.

On the Starter plan each member can link 3 devices. On the Team plan each member can link 5 devices. On the Business plan each member can link 10 devices, and Enterprise has no device limit. Web browsers do not count as devices.

When a member reaches the limit, linking another device asks them to unlink one of the existing ones first. Members can unlink their own devices from the Harbor web app under Profile > Devices, and admins can unlink any member's device from the admin console.

Devices that have not connected for 150 days are unlinked automatically, and the member receives an email. Unlinking a device stops it from syncing but does not delete the files on it unless an admin chooses remote wipe, which is available on Business and Enterprise.
"""),
    ("hc-0056", "help-centre", "2026-01-06", "Bandwidth and pausing sync", """
Harbor Sync is designed to work in the background without slowing down your internet connection. By default it uses automatic bandwidth control, which limits uploads to 70% of the available upload bandwidth and backs off further when other apps need the connection.

If you prefer a fixed limit, open Preferences > Network and enter maximum upload and download rates in megabits per second. Admins can set workspace-wide limits for offices with slow connections, and members cannot raise them.

You can pause syncing for 1 hour, 4 hours or until tomorrow from the Harbor Sync menu. On Windows, Harbor Sync also pauses uploads automatically on connections that Windows marks as metered, such as a mobile hotspot, and shows a banner so that you know syncing is paused.

Pausing does not stop Files On-Demand: opening a cloud-only file still downloads it, because you asked for it explicitly. Changes made while syncing is paused are uploaded as soon as you resume.
"""),
    ("hc-0057", "help-centre", "2026-02-12", "Using Harbor Sync behind a proxy or firewall", """
Harbor Sync works behind most corporate proxies. It uses the proxy settings of the operating system by default, including automatic configuration with a PAC file, and you can enter an explicit HTTP proxy in Preferences > Network. SOCKS proxies are not supported.

Proxy authentication with NTLM and Kerberos is supported and uses the signed-in Windows or macOS account, so members are not asked for a proxy password.

Harbor Sync needs outbound HTTPS access on port 443 to the orlavik.example domains. Harbor Sync pins the certificates of its sync servers, so TLS inspection must be turned off for sync.orlavik.example. If the proxy inspects that traffic, Harbor Sync reports the error SYN-0495 and refuses to connect, which protects members from a compromised proxy.

If your firewall only allows named hosts, the current list of hosts is published in the admin console under Network requirements, and changes are announced in the changelog at least 30 days in advance.
"""),
    ("hc-0058", "help-centre", "2026-03-12", "Finding Harbor Sync logs for support", """
When Harbor Sync does not behave as expected, support may ask for its logs. Logs record sync activity and errors but never file contents.

On Windows, the logs are in %LOCALAPPDATA%\\Orlavik\\HarborSync\\logs. On macOS, Harbor Sync writes its logs to ~/Library/Logs/HarborSync. On Linux, they are in ~/.local/state/harbor-sync/logs. Harbor Sync keeps its logs for 10 days and deletes older log files automatically.

The easiest way to share logs is Help > Send diagnostics in the Harbor Sync menu. It uploads the logs together with the app version and settings, and shows a diagnostics ID that starts with DIAG-. Give that ID to support instead of attaching files to the ticket.

If Harbor Sync cannot start at all, the Send diagnostics option is unavailable; zip the log folder by hand and attach it to the ticket. Members on managed computers may need their IT team to collect the folder.
"""),
    ("hc-0059", "help-centre", "2026-04-15", "Choosing which folders to sync", """
Selective sync lets you choose which folders Harbor Sync keeps on your computer at all, including as cloud placeholders. Folders you leave out do not appear in your Harbor folder, which keeps large archives and other teams' projects out of your way.

Open Preferences > Folders and untick the folders you do not need. Harbor Sync removes the local copies of excluded folders after checking that every change in them has been uploaded. The folders stay in Harbor and can be opened on the web at any time.

For good performance, we recommend at most 300,000 files per device across all synced folders, including placeholders. Above that, Harbor Sync keeps working but uses more memory and takes longer to start.

When you add a folder back, Harbor Sync warns you if pinned files in it would download more than 50 GB, so that you can free up space first. Admins can also choose which spaces Harbor Sync includes by default for new members.
"""),
    ("hc-0060", "help-centre", "2026-05-21", "Offline files in the Harbor mobile app", """
The Harbor mobile app for iPhone, iPad and Android lets you browse, preview and share files, and keep some of them available without a connection. The app requires iOS 16 or later, or Android 12 or later.

To keep a file offline, open its menu and choose Make available offline. The mobile app can keep up to 2,000 offline files per device, and they are updated automatically when you are on Wi-Fi. Offline files are stored inside the app's encrypted storage and are not visible to other apps.

Camera upload copies new photos and videos from the phone to a folder named Camera Uploads in your personal space. It runs only on Wi-Fi by default, and you can allow mobile data in Settings.

The app can be locked with a passcode or biometrics. By default the app locks after 5 minutes in the background, and admins on Business and Enterprise can require the lock and shorten the delay for everyone.
"""),
    ("hc-0061", "help-centre", "2026-07-09", "Files Harbor Sync ignores", """
Some files should never be synced because they are temporary or belong to the operating system. Harbor Sync ignores them automatically, and they stay only on your computer.

The built-in list includes desktop.ini, Thumbs.db and .DS_Store, Office lock files that start with a tilde and a dollar sign, and files ending in .tmp or .partial. Symbolic links are not followed; Harbor Sync shows them with a warning icon instead.

To ignore more files, create a file named .harborignore in any synced folder. The .harborignore file uses the same pattern syntax as a .gitignore file and applies to its folder and everything below it. A .harborignore file can contain up to 200 patterns.

Ignored files appear in the sync activity list with the reason they were skipped. An ignore rule never deletes a file that is already in Harbor; it only stops later changes from this computer being uploaded.
"""),
    ("pol-0027", "policies", "2025-08-14", "Supported Harbor Sync versions", """
Harbor Sync updates itself automatically, and most computers run the latest version within a week of release. This policy describes how long older versions keep working, so that IT teams who control updates can plan.

Each Harbor Sync release is supported for 9 months after its release date. Supported versions receive security fixes when needed, and support can help with problems in them. When a version leaves support, it keeps syncing for a further 60 days, and members see a notice asking them to update.

After that, the sync servers refuse connections from the unsupported version with the error SYN-0426, and the app asks the member to install the current release. Files on the computer are not affected, and changes made offline are uploaded after the update.

Operating system support follows the operating system vendor: when the vendor ends security updates for a version, Harbor Sync stops supporting that version with its next release.
"""),
    ("pol-0028", "policies", "2026-03-30", "Managed device and remote wipe policy", """
This policy applies to workspaces that use device controls on the Business and Enterprise plans. It explains what admins can require of devices running Harbor Sync and the mobile apps, and what remote wipe does.

Admins can require that devices have disk encryption turned on and run a supported operating system. Devices that do not meet the requirements can still sign in but cannot download files until they are fixed. Harbor Sync checks the device state at every sign-in and every four hours.

When an admin unlinks a device and chooses remote wipe, Harbor Sync deletes the local copies of workspace files the next time the device connects. If a wiped device stays offline, its device token expires after 18 days, and Harbor Sync on that device can no longer decrypt its local database.

Remote wipe removes only files from the Orlavik workspace. Personal files and other apps are never touched. Every wipe is recorded in the audit log with the admin who started it.
"""),
    ("chg-0029", "changelog", "2025-06-27", "Harbor Sync 7.0 release notes", """
Harbor Sync 7.0 is built on a new sync engine called Tidewater. Tidewater tracks changes with the file system's own journal instead of scanning folders, so Harbor Sync notices changes immediately and uses far less disk activity.

The first indexing of a new computer is now about three times faster. A computer with 100,000 files usually finishes indexing in under ten minutes.

The Harbor Sync menu has been redesigned. It now shows recent activity, any problems that need your attention and the current sync state, and the Preferences window is organised into Account, Folders, Storage and Network tabs.

Upgrading from version 6 migrates the local database automatically; the first start after the upgrade can take a few minutes on large folders. Version 6 of Harbor Sync is no longer updated, and support for it follows the supported versions policy.
"""),
    ("chg-0030", "changelog", "2025-09-16", "Harbor Sync 7.1 release notes", """
Harbor Sync 7.1 runs natively on Apple silicon Macs. Previously the app ran through the Rosetta translation layer on these computers; the native build starts faster and uses about 30% less battery while syncing.

Harbor Sync now integrates with the macOS File Provider framework, so cloud-only files appear in Finder with the standard cloud icons and can be downloaded from the Finder context menu. The Harbor folder moves to the Locations section of the Finder sidebar.

On Windows, the Harbor Sync icon in the notification area now shows a badge when there are sync problems, and clicking the badge opens the problem list directly.

Fixed: renaming a folder that contained more than 10,000 files could leave some files in the old folder name until the next restart. Fixed: the app sometimes asked members to sign in again after a Windows feature update.
"""),
    ("chg-0031", "changelog", "2025-11-20", "Harbor Sync 7.2 release notes: LAN sync", """
Harbor Sync 7.2 introduces LAN sync. When several computers in the same office sync the same shared folder, they can now copy new file blocks from each other over the local network instead of each downloading them from Harbor.

LAN sync is on by default for all plans. Transfers between computers are encrypted, and each block is verified against Harbor before it is used, so a computer can only receive blocks for files its member may see. The help centre explains which ports LAN sync uses.

In offices where LAN sync applies, the first download of a 1 GB file to ten computers now uses about one tenth of the internet bandwidth it used before.

Also in 7.2: the sync activity list can be filtered by space and by type of change, and Harbor Sync warns before you move a shared folder out of the Harbor folder, which would remove it for everyone.
"""),
    ("chg-0032", "changelog", "2026-02-19", "Harbor Sync 7.3 release notes", """
Harbor Sync 7.3 brings Files On-Demand to the Linux beta. On Ubuntu 22.04 and later, cloud-only files now appear as placeholders and are downloaded when opened, as on Windows and macOS. Files On-Demand on Linux uses a FUSE file system and must be switched on in Preferences.

The local cache can now be set as a percentage of free disk space instead of a fixed size, which suits laptops with small disks.

Admins can now see the Harbor Sync version of every linked device in the admin console under Devices, and filter for devices running versions that will soon leave support.

Fixed: pinned folders containing more than 2,000 files sometimes lost their pinned state after a restart. Fixed: Harbor Sync on macOS could show a conflicted copy of a file that was only opened and not changed by Preview.
"""),
    ("chg-0033", "changelog", "2026-05-12", "Harbor Sync 7.4 release notes", """
Harbor Sync 7.4 adds a native build for Windows on ARM64 devices, so Harbor Sync no longer runs under emulation on those laptops.

Memory use is down by about 40% for members with very large folders, thanks to a more compact index of placeholder files. Startup on computers with more than 200,000 files is noticeably faster.

This release raises the minimum supported Windows 10 version to 22H2, following the end of Microsoft's support for earlier versions. Computers on older Windows 10 versions keep running Harbor Sync 7.3 until it leaves support.

Fixed: uploads of files locked by another app are now retried every 2 minutes instead of being skipped until the next restart. Fixed: the Send diagnostics option sometimes failed on computers with a proxy that required authentication.
"""),
    ("chg-0034", "changelog", "2026-08-04", "Harbor Sync 7.5 release notes: update rings", """
Harbor Sync 7.5 gives admins control over when computers receive new versions. Every workspace can now choose an update ring for Harbor Sync: Early, Standard or Deferred.

Computers in the Early ring get each release on the day it is published. The Standard ring receives releases over the following week as we roll them out gradually. The Deferred ring receives each Harbor Sync release 28 days after the Standard ring, which gives IT teams time to test with their own software.

Admins choose the ring for the whole workspace in the admin console under Devices, and can put selected groups in a different ring, such as a small group of testers in the Early ring.

Urgent security fixes are released to all rings at the same time, regardless of the ring setting. The release notes say when a release is urgent.
"""),
    ("chg-0035", "changelog", "2026-10-19", "Harbor Sync 7.6 release notes", """
Harbor Sync 7.6 makes sync faster on busy shared folders. Changes made by colleagues now arrive through a persistent notification connection instead of periodic checks, so they appear on your computer within seconds.

Harbor Sync now reports the upload queue in the menu, with the number of files waiting and the estimated time to finish, and you can move an urgent file to the front of the queue from its context menu.

The Linux version leaves beta and is now fully supported on Ubuntu 22.04 and 24.04, and on Fedora 40 and later.

Fixed: the SYN-0495 error was shown instead of a clear message when a proxy required a password that had expired. Harbor Sync now asks the member to sign in to the proxy again.
"""),
    ("rb-0020", "runbooks", "2026-01-15", "Runbook: Harbor Sync crash rate spike", """
Crash reports from Harbor Sync are collected by crashdesk. The alert SyncCrashRate fires when more than 0.5% of Harbor Sync sessions crash within an hour for any released version.

First, check whether the crashes come from a version that is still rolling out. If so, halt the rollout with syncrel halt followed by the version number. Halting stops new computers from receiving the version but does not roll back computers that already have it.

Group the crashes by stack signature in crashdesk. A single signature on one operating system version usually points to a change in that operating system, for example a macOS point release; check the crash dates against operating system release dates.

If the crash affects more than 5% of sessions on a version, prepare a rollback to the previous version with the Harbor Sync release rollback runbook. Post a known issue in the help centre if members need to take any action, such as restarting after a crash loop.
"""),
    ("rb-0021", "runbooks", "2026-04-23", "Runbook: change notifications delayed for Harbor Sync", """
Harbor Sync learns about changes made elsewhere through tide-notify, a service that keeps a long-lived connection to every online client. If tide-notify falls behind, clients still sync, but only when they poll, which happens every 10 minutes.

The alert TideNotifyLag fires when the median delay between a change in Harbor and its notification to clients is above 30 seconds for 10 minutes. Check the tide-notify dashboard for connection counts and the event stream lag.

A sudden drop in connections followed by a spike usually means a load balancer restart; clients reconnect with backoff over a few minutes, and no action is needed. A growing event stream lag with stable connections means tide-notify cannot keep up. Scale it out; each tide-notify instance can hold about 80,000 client connections.

Do not restart all tide-notify instances at once. Every client would reconnect at the same time and overload the sign-in service. Restart instances one at a time, waiting for connections to settle between restarts.
"""),
    ("rb-0022", "runbooks", "2026-06-16", "Runbook: customer stuck on Indexing", """
Use this runbook when a member reports that Harbor Sync has shown Indexing for hours. Ask for the diagnostics ID from Help > Send diagnostics, and open the diagnostics bundle in the support console.

Look first at the number of files. Computers above the recommended limit for selective sync index slowly; suggest excluding large folders. If the count is normal, look for a folder that contains a symbolic link loop or a network drive mapped inside the Harbor folder; both make indexing run forever. Ask the member to move the network drive mapping elsewhere.

Antivirus products that scan every file Harbor Sync opens can slow indexing tenfold. Ask the customer's IT team to exclude the Harbor Sync database folder from real-time scanning.

If none of these apply, the local database may be damaged. Ask the member to choose Help > Rebuild local database. Rebuilding keeps the files on disk and typically finishes within 30 minutes for 100,000 files. Escalate to the sync engineering queue if indexing still does not finish.
"""),
    ("rb-0023", "runbooks", "2026-08-20", "Runbook: rolling back a Harbor Sync release", """
A rollback moves computers from a faulty Harbor Sync version to the previous one. Use it only when halting the rollout is not enough, because computers that already run the faulty version need to be moved back.

Rollbacks are published with syncrel rollback, giving the faulty version and the version to return to. The command republishes the previous version with a higher build number, because Harbor Sync never installs an older build number on its own. Clients pick up the rollback at their next update check, which happens every 6 hours, or immediately when the member chooses Check for updates.

The rollback keeps the local database, but if the faulty version changed the database format, the previous version must be able to read it. Check the release notes for a database migration before rolling back; if there was one, ask the sync engineering lead, Ingrid Halvorsen, to approve the rollback.

Announce the rollback in the help centre and note the affected version in the status page history if members saw errors.
"""),
    ("sp-0005", "status-page", "2026-05-27", "Resolved: Harbor Sync update loop on macOS", """
Resolved. On 26 May 2026, some Macs running Harbor Sync 7.4.2 downloaded and installed the same update repeatedly. About 3% of macOS devices were affected by the update loop. Syncing continued between installs, but the repeated installs used bandwidth and showed frequent notifications.

Cause: the macOS build of Harbor Sync 7.4.2 was published with the wrong build number in its update manifest, so the app believed every installed copy was out of date. Windows and Linux were not affected.

Resolution: the rollout of 7.4.2 was halted at 09:35 UTC and a corrected manifest was published at 11:10 UTC. Affected Macs stopped the loop at their next update check without any action from members.

Follow-up: the release pipeline now compares the manifest build number with the signed app before publishing, and the update service stops offering an update to a device that installed it twice in an hour.
"""),
]

UPDATES = [
    ("hc-0055", "2026-09-30", [
        ("On the Team plan each member can link 5 devices.", "On the Team plan each member can link 8 devices."),
    ]),
    ("pol-0027", "2026-09-05", [
        ("Each Harbor Sync release is supported for 9 months after its release date.", "Each Harbor Sync release is supported for 12 months after its release date."),
    ]),
]

QUESTIONS = [
    dict(q="What macOS version does Harbor Sync require on a Mac?", a="macOS 13", aliases=["macOS 13 or later", "13"], docs=["hc-0051"]),
    dict(q="How much free disk space does the installer need for the app and its database?", a="2 GB", aliases=["2 gigabytes"], docs=["hc-0051"]),
    dict(q="What is the default size of the local cache?", a="20 GB", aliases=["20 gigabytes"], docs=["hc-0052"]),
    dict(q="Which UDP port does Harbor Sync use for LAN sync discovery broadcasts?", a="17650", aliases=["UDP port 17650", "UDP 17650"], docs=["hc-0053"]),
    dict(q="Which TCP port are LAN sync file blocks transferred over?", a="17651", aliases=["TCP port 17651", "TCP 17651"], docs=["hc-0053"]),
    dict(q="How many devices can each member link on the Team plan?", a="8 devices", aliases=["8", "eight devices"], docs=["hc-0055"], old="5 devices"),
    dict(q="How many devices can each member link on the Business plan?", a="10 devices", aliases=["10", "ten devices"], docs=["hc-0055"]),
    dict(q="Since devices that have not connected for 60 days are unlinked automatically, after how many days will an unused laptop actually be unlinked?", a="150 days", aliases=["150"], docs=["hc-0055"], fp="60 days"),
    dict(q="What share of the available upload bandwidth does automatic bandwidth control limit uploads to?", a="70%", aliases=["70 percent"], docs=["hc-0056"]),
    dict(q="For which host must TLS inspection be turned off because Harbor Sync pins certificates?", a="sync.orlavik.example", docs=["hc-0057"]),
    dict(q="Which error code does Harbor Sync report when the proxy inspects that traffic?", a="SYN-0495", docs=["hc-0057"]),
    dict(q="Where does Harbor Sync write its logs on macOS?", a="~/Library/Logs/HarborSync", aliases=["Library/Logs/HarborSync"], docs=["hc-0058"]),
    dict(q="How many days does Harbor Sync keep its logs?", a="10 days", aliases=["ten days"], docs=["hc-0058"]),
    dict(q="How many files per device across all synced folders do you recommend at most?", a="300,000 files", aliases=["300000 files", "300,000"], docs=["hc-0059"]),
    dict(q="How many offline files can the mobile app keep per device?", a="2,000 offline files", aliases=["2000", "2,000"], docs=["hc-0060"]),
    dict(q="Since the app requires iOS 14 or later, what is the minimum iOS version the app requires?", a="iOS 16", aliases=["iOS 16 or later", "16"], docs=["hc-0060"], fp="iOS 14"),
    dict(q="What file do I create in a synced folder to ignore more files?", a=".harborignore", aliases=["harborignore"], docs=["hc-0061"]),
    dict(q="How many patterns can a .harborignore file contain?", a="200 patterns", aliases=["200"], docs=["hc-0061"]),
    dict(q="For how many months after its release date is each Harbor Sync release supported?", a="12 months", aliases=["12", "a year", "one year"], docs=["pol-0027"], old="9 months"),
    dict(q="Which error code do the sync servers refuse connections from an unsupported version with?", a="SYN-0426", docs=["pol-0027"]),
    dict(q="After how many days does the device token of a wiped device that stays offline expire?", a="18 days", aliases=["18"], docs=["pol-0028"]),
    dict(q="What is the new sync engine in Harbor Sync 7.0 called?", a="Tidewater", docs=["chg-0029"]),
    dict(q="How much less battery does the native build use while syncing on Apple silicon?", a="30% less battery", aliases=["30%", "about 30%"], docs=["chg-0030"]),
    dict(q="How many days after the Standard ring does the Deferred ring receive each Harbor Sync release?", a="28 days", aliases=["28", "four weeks"], docs=["chg-0034"]),
    dict(q="What share of Harbor Sync sessions crashing within an hour fires the alert SyncCrashRate?", a="0.5%", aliases=["0.5 percent"], docs=["rb-0020"]),
    dict(q="About how many client connections can each tide-notify instance hold?", a="80,000 client connections", aliases=["80000", "80,000"], docs=["rb-0021"]),
    dict(q="Who is the sync engineering lead that must approve a rollback after a database migration?", a="Ingrid Halvorsen", aliases=["Halvorsen"], docs=["rb-0023"]),
    dict(q="How often do clients check for updates and pick up the rollback?", a="every 6 hours", aliases=["6 hours"], docs=["rb-0023"]),
    dict(q="What share of macOS devices were affected by the update loop?", a="3%", aliases=["about 3%", "3 percent"], docs=["sp-0005"]),
]
