# ruff: noqa: E501
"""Billing: Orlavik Ledger, plans, invoices, payments, refunds. Hand-written content."""

TOPIC = "billing"

DOCS = [
    ("hc-0001", "help-centre", "2025-06-12", "Choosing a plan: Starter, Team, Business and Enterprise", """
Orlavik sells Harbor workspaces on four plans: Starter, Team, Business and Enterprise. The prices below are per user per month when billed annually.

The Starter plan costs $7 per user per month and is capped at 12 users per workspace, which suits small project groups that only need shared folders and basic sharing links. The Team plan costs $16 per user per month and adds password-protected links, version history and the Relay API. The Business plan costs $29 per user per month and adds SAML single sign-on through Keystone, the Watchtower audit log and priority support. Enterprise pricing is quoted by our sales team and requires a minimum of 150 seats.

Paying monthly instead of annually adds 18% to the per-user price on every plan. You can switch from monthly to annual billing at any time from Ledger, and the unused part of the current month is credited to the first annual invoice.

If you are unsure which plan fits, start a Business trial: every feature described here is available during the trial, and you can move down to Team or Starter before the trial ends without losing files.
"""),
    ("hc-0002", "help-centre", "2025-07-03", "Reading your Ledger invoice", """
Every charge on your Orlavik account produces an invoice in Ledger, the billing area of the admin console. Invoice numbers start with the prefix LDG- followed by eight digits, and you should quote the full number whenever you contact the billing team about a payment.

Annual invoices are issued 14 days before the renewal date so that finance teams have time to approve them. Monthly invoices are issued on the renewal date itself.

Each invoice lists the plan, the number of paid seats, any storage add-on packs, usage charges for the Relay API and the tax applied. Credits from referrals or service credits appear as separate negative lines rather than being netted into the plan price.

You can download any invoice as a PDF from Ledger > Billing history, where PDFs are kept for seven years. Invoice emails go to the workspace owner and to up to 5 billing contacts that you add under Ledger > Billing contacts. Billing contacts do not need a paid seat and cannot see files in Harbor.
"""),
    ("hc-0003", "help-centre", "2025-08-19", "What happens when a card payment fails", """
If the card on file is declined at renewal, Ledger emails the workspace owner and all billing contacts straight away and shows a banner in the admin console. Ledger then retries the card automatically on the second, fifth and ninth day after the first failed charge. Most declines are cleared by one of these retries once the card issuer has approved the payment.

The workspace stays fully usable during a grace period of 10 days after the first failed charge. When the grace period ends without a successful payment, the workspace becomes read-only: members can still open and download files, but nobody can upload, edit or invite new members. If the balance is still unpaid 45 days after the first failed charge, the workspace is suspended and only owners can sign in to settle the invoice.

To fix a failed payment, open Ledger > Payment methods, add or update the card and choose Pay now. The payment is applied within a few minutes and the read-only state is lifted automatically.
"""),
    ("hc-0004", "help-centre", "2025-09-02", "Adding and removing seats", """
Seats are the paid user licences in your workspace. Owners and billing admins can change the seat count from Ledger > Seats at any time. Added seats are charged straight away, pro-rated by day for the rest of the billing term, and appear as a separate line on the next invoice.

Removing seats works differently. A seat reduction never produces a mid-term refund; instead the lower seat count takes effect at the next renewal. Seat reductions must be saved at least 9 days before the renewal date, because the renewal invoice is prepared from the seat count at that point. The Business plan has a minimum of 5 seats, so a Business workspace cannot go below five paid seats even if fewer people use it.

Guests who are invited to a single shared folder do not use a seat. Each paid seat on Team and Business allows up to 8 guests across the workspace, and guests beyond that allowance must be converted into members or removed.
"""),
    ("hc-0005", "help-centre", "2025-10-14", "Paying by bank transfer", """
Bank transfer is available for annual invoices of $6,000 or more; smaller invoices must be paid by card or, in the eurozone, by SEPA Direct Debit. To switch an upcoming invoice to bank transfer, open the invoice in Ledger and choose Pay by transfer, which adds our bank details and a unique payment reference to the PDF.

The payment reference always starts with your workspace ID, which has the form WS- followed by six characters, and it must be copied exactly into the transfer. Transfers without the reference are held in a suspense account and can take several weeks to match, during which the invoice shows as unpaid.

Allow 4 business days for an international transfer to reach us and be matched. If the invoice due date is close, tell us in advance from Ledger > Contact billing and we will hold the dunning emails. Bank charges on the sender side are paid by the customer; if a transfer arrives short because of intermediary fees, the difference is carried to the next invoice.
"""),
    ("hc-0006", "help-centre", "2025-11-20", "Discounts for nonprofits and schools", """
Orlavik for Good is our discount programme for registered charities and accredited schools. Registered nonprofits receive a 45% discount on the Team and Business plans, applied to every renewal while the organisation stays eligible. Accredited schools, colleges and universities receive a 60% education discount on the same plans; the education discount does not cover Enterprise, which is priced separately.

To apply, the workspace owner submits proof of status from Ledger > Discounts, such as a charity registration number or an accreditation letter. Applications are reviewed by the billing team, and the discount is applied from the next invoice after approval; it is not applied retroactively to invoices that were already paid.

Eligibility for Orlavik for Good must be reverified every 24 months. Ledger sends a reminder a month before the reverification deadline, and if no new proof is uploaded the discount falls away at the following renewal. Orlavik for Good discounts cannot be combined with referral credits or promotional codes.
"""),
    ("hc-0007", "help-centre", "2026-01-09", "Changing your billing currency", """
Ledger can bill in US dollars, euros, pounds sterling, Canadian dollars and Australian dollars. The currency is chosen when the workspace first subscribes and follows the billing address country by default.

You can change the billing currency only at renewal, not in the middle of a term. To request a billing currency change, open Ledger > Billing details, pick the new currency under Next renewal and save it at least 20 days before the renewal date. The renewal quote is then recalculated from the published price list for the new currency rather than by converting the old price, so the amount can differ slightly from a simple exchange-rate conversion.

Credits held on the account, such as referral credits, are converted at the exchange rate published by the European Central Bank on the day of the switch. Storage add-on packs and Relay usage charges move to the new currency at the same time as seats. Invoices that were already issued keep their original currency and must be paid in it.
"""),
    ("hc-0008", "help-centre", "2026-02-17", "Adding a purchase order number to invoices", """
Many finance teams will not pay an invoice unless it carries their purchase order number. In Ledger > Billing details you can enter a PO number of up to 35 characters, including letters, digits, dashes and slashes. The PO number is printed under the invoice number on every invoice issued after you save it; invoices that were already issued are not changed, but you can ask the billing team to reissue the most recent one.

Enterprise workspaces can make the PO number mandatory. When this setting is on, Ledger holds each new invoice in a Draft state until a PO number is entered, and the payment terms start counting from the day the PO is added rather than from the issue date. Draft invoices that still have no PO number after 15 days are released automatically without one so that service is not interrupted.

If your PO covers a fixed amount, add the PO value as well. Ledger warns billing contacts when the invoices raised against a PO reach 80% of its value.
"""),
    ("hc-0009", "help-centre", "2026-03-05", "Buying extra storage", """
Each plan includes a pooled storage allowance, and workspaces that need more can buy storage add-on packs without moving to a higher plan. Storage add-on packs are sold in 1 TB units at $38 per month each, billed on the same cycle as your seats. Annual workspaces pay for the rest of the current term up front when they add a pack, pro-rated by day.

A workspace can hold at most 20 storage add-on packs. Beyond that, talk to sales about Enterprise, which has custom storage terms. Packs can be removed at renewal only, and only if the data stored fits within the remaining allowance; Ledger blocks the removal otherwise and shows how much data needs to be deleted or archived first.

Storage in Harbor Archive, the cold tier, is billed separately at $9 per TB per month and does not count toward the pooled allowance or against the pack limit. Archive storage is metered daily and charged in arrears on the next invoice.
"""),
    ("hc-0010", "help-centre", "2026-04-22", "Trying the Business plan", """
New workspaces can try the Business plan free of charge before choosing a plan. The Business trial lasts 21 days and includes SAML single sign-on, the Watchtower audit log and up to 25 trial users; no card is needed to start it. Your account manager can extend a trial once, by up to 10 days, if you are still evaluating at the end.

On the last day of the trial, the workspace moves to the plan you picked in Ledger. If you did not pick a plan, it drops to Starter, which means features that Starter lacks are switched off and any members above the Starter limit are set to inactive until you upgrade. No files are deleted when a trial ends.

Data you create during the trial stays in the same region as the workspace. Trial workspaces cannot buy storage add-on packs, and Relay API calls are limited to the Team quota until the first paid invoice.
"""),
    ("pol-0001", "policies", "2025-06-20", "Refund policy", """
This policy explains when Orlavik Systems refunds subscription fees. It applies to self-serve Starter, Team and Business subscriptions; Enterprise refunds follow the signed order form.

Annual subscriptions may be cancelled for a pro-rata refund within 40 days of the renewal date. The refund covers the unused whole months of the term, less any service credits already applied. After that window an annual subscription can still be cancelled, but it stays active until the end of the paid term and no refund is issued.

Monthly subscriptions are not refunded. Cancelling a monthly subscription stops the next charge, and the workspace stays active until the end of the month already paid.

Storage add-on packs and Relay usage charges are not refundable, because they are billed for capacity or usage already provided. Refunds are returned to the original payment method within 10 business days of approval; refunds of bank transfers go to the account that sent the payment. Requests are made from Ledger > Cancel subscription or by writing to billing@orlavik.example.
"""),
    ("pol-0002", "policies", "2025-08-05", "Price change notice policy", """
Orlavik Systems reviews its list prices once a year. This policy sets out how customers are told about price changes and when they take effect.

We give at least 75 days' written notice before any increase in list prices takes effect. Notice is sent by email to the workspace owner and all billing contacts and is published on the pricing page and in Ledger. A price increase never applies in the middle of a paid term: annual subscriptions keep their current price until the next renewal after the notice period ends, and monthly subscriptions move to the new price on the first renewal after the notice period.

Price decreases and new discounts can take effect immediately. Customers with a signed Enterprise order form keep the prices in that order form for its full term, and renewal price increases for Enterprise are capped at 7% per year unless the order form says otherwise. Customers who do not accept a price increase may cancel before it takes effect and receive a pro-rata refund of the unused term regardless of the normal refund window.
"""),
    ("pol-0003", "policies", "2025-12-01", "Payment terms for invoiced customers", """
Customers who pay by invoice rather than by card must pay within the payment terms shown on each invoice. Business invoices are due on net 20 terms, counted from the invoice date. Enterprise invoices are due on net 45 terms unless the order form sets different terms.

Overdue invoices accrue a late fee of 1.25% per month on the unpaid amount, calculated daily, starting on the day after the due date. The late fee is waived once per workspace per year on request. Disputed amounts are not charged a late fee while the dispute is open, provided the undisputed part of the invoice is paid on time and the dispute is raised before the due date.

If an invoice is more than a month overdue, Orlavik may restrict the workspace in the same way as a failed card payment, starting with read-only mode. We will always give 12 days' notice by email before restricting a workspace for an overdue invoice. Questions about payment terms go to billing@orlavik.example.
"""),
    ("pol-0004", "policies", "2026-01-15", "Uptime commitment and service credits", """
Orlavik commits to a monthly uptime of 99.95% for Harbor, Relay and Keystone on the Business and Enterprise plans. Uptime is measured by our external probes every minute from three regions, and a minute counts as down when more than half of the probes fail. Scheduled maintenance that was announced in advance, as the planned maintenance policy requires, does not count as downtime.

If monthly uptime falls short of the commitment, the workspace is entitled to a service credit against the next invoice. A service credit of 10% of the monthly fee applies when uptime is below 99.95%. The credit rises to 25% when uptime drops below 99.5%. The maximum credit of 50% is reached when uptime drops below 98%.

Service credits must be claimed within 21 days of the end of the affected month, from Ledger > Service credits or through your account manager. Credits are not paid out in cash and are the sole remedy for missing the uptime commitment. Starter and Team plans have no uptime commitment and are not eligible for service credits.
"""),
    ("pol-0005", "policies", "2026-02-02", "Sales tax, VAT and tax exemption", """
Prices on the Orlavik pricing page exclude tax. Ledger adds the tax that applies to the billing address on each invoice, and the tax amount is shown on a separate line.

Business customers in the European Union who enter a valid VAT number are invoiced under the reverse-charge rule, so no VAT is added and the invoice carries the reverse-charge wording. Ledger validates VAT numbers against the VIES service when they are entered and again before each renewal invoice; a number that fails validation twice in a row is removed and VAT is charged until a valid number is provided.

Customers in the United States who are exempt from sales tax can upload an exemption certificate in Ledger > Tax settings. The billing team reviews tax exemption certificates within 8 business days, and approved certificates apply only to invoices issued after approval. Tax already charged on earlier invoices can be refunded with an exemption certificate if the certificate was valid on the invoice date and the request is made within 6 months of that invoice.

Orlavik Systems is registered for VAT in the Netherlands under number NL-8847-2210-B01, which appears on every invoice.
"""),
    ("pol-0006", "policies", "2026-05-11", "Referral programme terms", """
The Orlavik referral programme rewards customers who introduce new paying workspaces. A referrer receives a $200 credit once the referred workspace has paid for three consecutive months on Team, Business or Enterprise. The referred workspace receives a 20% discount on its first three months.

Each referring workspace can earn at most 10 referral credits per calendar year. Referral credits are applied automatically to the next invoice and cannot be exchanged for cash or transferred to another workspace. Unused referral credits expire 18 months after they are issued, and Ledger shows the expiry date next to each credit.

Referrals must be made through the personal referral link in Ledger > Referrals. Self-referrals, referrals between workspaces owned by the same organisation and referrals of customers that already had a paid workspace in the last year do not qualify. Orlavik may withdraw credits obtained through abuse of these terms, and may change or end the programme after giving notice by email to every workspace owner.
"""),
    ("chg-0001", "changelog", "2025-09-30", "Ledger 3.4 release notes", """
Ledger 3.4 is rolling out to all workspaces this week. The headline change is CSV export of billing history: billing admins can now export up to 36 months of invoices and payments as a CSV file from Ledger > Billing history, with one row per invoice line. The export includes tax amounts, currency and the PO number when one is set.

Billing history also gains search by invoice number, amount and date range, and the list now loads 50 invoices per page instead of 20.

Fixes in this release: VAT on invoices with more than one storage add-on pack was rounded per pack rather than on the total, which could produce a difference of one cent; it is now rounded once on the total. Billing contacts who were removed could still receive dunning emails for up to a day afterwards; they now stop immediately. The Seats page no longer shows deactivated guests in the seat count.

Ledger 3.4 requires no action from customers.
"""),
    ("chg-0002", "changelog", "2025-12-09", "Ledger 3.5 release notes: split billing", """
Ledger 3.5 introduces split billing for organisations that charge software costs back to departments. Billing admins can now split a workspace invoice across up to 6 cost centres, either by a fixed percentage or by the seats assigned to each cost centre in Keystone groups. Each cost centre receives its own invoice PDF with its own PO number and billing contact, while payment can still be made once for the whole workspace.

Split billing is available on Business and Enterprise. To turn it on, open Ledger > Cost centres, create the cost centres and choose the split method; the change applies from the next invoice.

Other changes: the Payment methods page shows the card expiry month, and Ledger now emails billing contacts 28 days before a saved card expires. The invoice PDF layout was updated to show the workspace ID in the header.

Known issue: cost centre names longer than 40 characters are cut off in the invoice header. A fix is planned for Ledger 3.6.
"""),
    ("chg-0003", "changelog", "2026-03-24", "Ledger 3.6 release notes: SEPA Direct Debit", """
Ledger 3.6 adds SEPA Direct Debit as a payment method for workspaces billed in euros. After the billing admin enters the account holder name and IBAN, Ledger sends the mandate for confirmation by email. A SEPA mandate takes 2 business days to become active, and the first collection happens on the next invoice after activation.

Direct debits are collected 3 days after the invoice date, and Ledger sends a pre-notification email with the amount ahead of each collection. If a direct debit is returned by the bank, Ledger treats it like a failed card payment and the usual retry schedule and grace period apply.

This release also fixes the known issue from Ledger 3.5: cost centre names of up to 80 characters are now shown in full in the invoice header. The Billing contacts page now allows a separate contact for tax questions, who receives only tax-related emails.
"""),
    ("chg-0004", "changelog", "2026-06-16", "Ledger 3.7 release notes: Relay usage billing", """
From Ledger 3.7, Relay API usage above the quota included in your plan is billed automatically instead of being throttled. Each plan includes a monthly Relay request quota, and Relay requests above the included quota are billed at $0.40 per 10,000 requests. Usage is metered daily and charged in arrears on the next invoice.

Billing admins can set a monthly usage cap in Ledger > Usage. When usage reaches the monthly cap, Relay returns the error code RLY-4290 for further requests until the next month starts or the cap is raised. Ledger emails billing contacts when usage reaches 75% and 100% of the cap.

Workspaces that prefer the old behaviour can set the cap to zero, which keeps requests above the included quota throttled as before. Existing Enterprise contracts with a fixed Relay allowance are not affected until their next renewal.
"""),
    ("chg-0005", "changelog", "2026-09-15", "Ledger 3.8 release notes: quarterly instalments", """
Ledger 3.8 lets larger customers spread the cost of an annual subscription. Annual invoices of $12,000 or more can now be paid in quarterly instalments instead of one payment. An instalment fee of 2.5% of the annual amount is added to the first instalment; there is no interest.

Instalments are available for Business and Enterprise workspaces paying by card, SEPA Direct Debit or bank transfer. The option appears on the renewal invoice in Ledger when the workspace qualifies, and must be chosen before the invoice due date. A missed instalment is handled like a failed payment, including the grace period, and the remaining instalments become due at once if the balance is still unpaid after 50 days.

Ledger 3.8 also shows the next instalment date and amount on the Overview page, and the CSV export of billing history now includes an instalment column.
"""),
    ("rb-0001", "runbooks", "2025-11-03", "Runbook: ledger-reconciler job lagging", """
This runbook covers the reconciliation job that matches payments from the payment processor against open invoices and marks them paid. The nightly ledger-reconciler job starts at 02:15 UTC and normally finishes in under 40 minutes.

The alert LedgerReconcileLag pages the billing on-call engineer when the job has not finished 90 minutes after it started. First check the job dashboard in Grafana under Billing / Reconciler. If the job is still running and the processed count is rising, it is slow rather than stuck; leave it running and note it in the incident channel.

If the processed count has not moved for 10 minutes, the job is stuck. Restart it with ledgerctl reconcile --resume, which continues from the last committed batch rather than starting over. Never run two reconcilers at the same time, because they can both mark the same payment and create a double credit.

If the job fails three times in a row, stop and escalate to the payments lead. While reconciliation is behind, customers may see paid invoices shown as unpaid; support should not reissue invoices until the job has caught up.
"""),
    ("rb-0002", "runbooks", "2026-02-26", "Runbook: customer reports a duplicate charge", """
Use this runbook when a customer reports being charged twice. In Ledger admin, duplicate captures are flagged with the error code LDG-409, and they usually come from a card retry that succeeded at the payment processor after a timeout on our side.

First confirm the duplicate: search the workspace ID in Ledger admin and compare the processor transaction IDs. Two captures with the same invoice number and different transaction IDs are a true duplicate. A pending authorisation that has not been captured is not a duplicate and drops off the customer's statement on its own, usually within a week.

Refund a true duplicate from Ledger admin > Payments > Refund capture, choosing the later capture. Duplicate charges must be refunded within 24 hours of the customer report, and the refund reference must be pasted into the support ticket. If more than five customers report duplicates on the same day, treat it as an incident: open a channel, page the payments lead, Anouk Verbeek, and pause automatic card retries with ledgerctl retries --pause until the cause is known.
"""),
    ("rb-0003", "runbooks", "2026-05-20", "Runbook: spike in card declines", """
This runbook applies when the alert CardDeclineRateHigh fires. Ledger charges cards through our payment processor, Paycrest. A declined card is recorded in Ledger with the error code LDG-402. The alert fires when the card decline rate is above 7% for 15 minutes; the normal rate is between 1% and 3%.

Start by checking the Paycrest status page and the Paycrest dashboard for errors on their side. If Paycrest reports degraded service, post in the incident channel, pause automatic retries with ledgerctl retries --pause, and resume them once Paycrest recovers, so that customers are not moved into the grace period because of a processor fault.

If Paycrest is healthy, look at the decline reasons in the dashboard. A sudden rise in a single reason code, such as do_not_honor from one issuing country, usually points to a bank-side fraud rule and is handled by the payments lead with Paycrest. A rise across all reasons after a deploy points to our own integration; roll back the most recent ledger-payments release.
"""),
    ("rb-0004", "runbooks", "2026-07-14", "Runbook: invoice emails bouncing", """
Invoice and dunning emails are sent by the ledger-mailer service through our transactional email provider. The alert InvoiceBounceRate pages billing on-call when more than 4% of invoice emails bounce within an hour.

Check first whether the bounces come from one domain. A single customer domain rejecting our mail is usually a spam filter change at that customer; contact them through their account manager and ask them to allow mail from ledger.orlavik.example. Bounces across many domains point to a problem with our sending reputation or DNS. Check that the SPF and DKIM records for ledger.orlavik.example are intact and that the DKIM selector ldg2025 is still published.

Do not resend bounced invoices in bulk while the cause is unknown, because repeated sends to a rejecting server harm the sending reputation further. Once the cause is fixed, resend with ledgerctl mail --resend-bounced, which skips addresses that bounced permanently. Customers can always download invoices from Ledger > Billing history, so support can point them there in the meantime.
"""),
    ("sp-0001", "status-page", "2026-08-03", "Resolved: delayed invoice generation on 1 August", """
Resolved. Between 00:10 and 06:25 UTC on 1 August 2026, Ledger did not generate monthly invoices on time. The invoice generation run for 1 August was delayed by 6 hours and 15 minutes, because a database migration held a lock on the invoices table longer than planned.

Customer impact: invoices dated 1 August were issued late and invoice emails arrived in the morning instead of overnight. No customer was charged twice and no card was charged early; cards were charged after the invoices were issued, in the normal order. Workspaces whose payment failed because of the delay were not moved into the grace period.

Follow-up actions: database migrations on the Ledger database are now blocked between 22:00 and 08:00 UTC on the first day of each month, and the invoice run now raises an alert if it has not started by 00:30 UTC. The full postmortem is available to Enterprise customers from their account manager.
"""),
]

UPDATES = [
    ("hc-0003", "2026-09-08", [
        ("during a grace period of 10 days after", "during a grace period of 16 days after"),
        ("Most declines are cleared", "Since September 2026 the grace period is longer than before, and most declines are cleared"),
    ]),
    ("pol-0001", "2026-09-22", [
        ("within 40 days of the renewal date", "within 60 days of the renewal date"),
    ]),
    ("pol-0003", "2026-10-02", [
        ("Enterprise invoices are due on net 45 terms", "Enterprise invoices are due on net 60 terms"),
    ]),
]

QUESTIONS = [
    dict(q="How many users is the Starter plan capped at per workspace?", a="12 users", aliases=["12", "twelve users"], docs=["hc-0001"]),
    dict(q="What minimum number of seats does Enterprise pricing require?", a="150 seats", aliases=["150"], docs=["hc-0001"]),
    dict(q="How much does paying monthly instead of annually add to the per-user price?", a="18%", aliases=["18 percent"], docs=["hc-0001"]),
    dict(q="How many days before the renewal date are annual invoices issued?", a="14 days", aliases=["fourteen days", "14"], docs=["hc-0002"]),
    dict(q="Up to how many billing contacts can invoice emails go to besides the workspace owner?", a="5 billing contacts", aliases=["5", "five"], docs=["hc-0002"]),
    dict(q="How many days of grace period does a workspace get after the first failed charge?", a="16 days", aliases=["sixteen days", "16"], docs=["hc-0003"], old="10 days"),
    dict(q="How many days after the first failed charge is an unpaid workspace suspended?", a="45 days", aliases=["45", "forty-five days"], docs=["hc-0003"]),
    dict(q="How many days before the renewal date must seat reductions be saved?", a="9 days", aliases=["nine days", "9"], docs=["hc-0004"]),
    dict(q="Since the Business plan has a minimum of 3 seats, what is the fewest paid seats our Business workspace can keep?", a="5 seats", aliases=["five seats", "5"], docs=["hc-0004"], fp="3 seats"),
    dict(q="How many guests does each paid seat on Team and Business allow?", a="8 guests", aliases=["eight guests", "8"], docs=["hc-0004"]),
    dict(q="What is the minimum amount for annual invoices paid by bank transfer?", a="$6,000", aliases=["6,000", "6000 dollars"], docs=["hc-0005"]),
    dict(q="How many business days should I allow for an international transfer to reach you and be matched?", a="4 business days", aliases=["four business days", "4 days"], docs=["hc-0005"]),
    dict(q="What discount do registered nonprofits receive on the Team and Business plans?", a="45%", aliases=["45 percent"], docs=["hc-0006"]),
    dict(q="How often must eligibility for Orlavik for Good be reverified?", a="24 months", aliases=["every 24 months", "two years"], docs=["hc-0006"]),
    dict(q="How many days before the renewal date must a billing currency change be saved?", a="20 days", aliases=["twenty days", "20"], docs=["hc-0007"]),
    dict(q="How many characters can a PO number have in Ledger billing details?", a="35 characters", aliases=["35"], docs=["hc-0008"]),
    dict(q="At what share of a PO's value does Ledger warn billing contacts about invoices raised against it?", a="80%", aliases=["80 percent"], docs=["hc-0008"]),
    dict(q="What do storage add-on packs cost per month for each 1 TB unit?", a="$38 per month", aliases=["$38", "38 dollars"], docs=["hc-0009"]),
    dict(q="How much is Harbor Archive storage billed per TB per month?", a="$9 per TB", aliases=["$9", "9 dollars"], docs=["hc-0009"]),
    dict(q="How many days does the Business trial last?", a="21 days", aliases=["21", "three weeks"], docs=["hc-0010"]),
    dict(q="By how many days can an account manager extend a trial?", a="10 days", aliases=["ten days", "10"], docs=["hc-0010"]),
    dict(q="Within how many days of the renewal date can an annual subscription be cancelled for a pro-rata refund?", a="60 days", aliases=["sixty days", "60"], docs=["pol-0001"], old="40 days"),
    dict(q="How quickly are refunds returned to the original payment method after approval?", a="10 business days", aliases=["ten business days"], docs=["pol-0001"]),
    dict(q="Since Orlavik only gives 30 days' written notice before an increase in list prices takes effect, how much notice will we actually get?", a="75 days", aliases=["75", "seventy-five days"], docs=["pol-0002"], fp="30 days"),
    dict(q="What are renewal price increases for Enterprise capped at per year?", a="7%", aliases=["7 percent"], docs=["pol-0002"]),
    dict(q="What terms apply to Enterprise invoices?", a="net 60", aliases=["60 days"], docs=["pol-0003"], old="net 45"),
    dict(q="Since Business invoices are due on net 30 terms, what terms should our accounts payable team record for Business invoices?", a="net 20", aliases=["20 days"], docs=["pol-0003"], fp="net 30"),
    dict(q="What late fee do overdue invoices accrue per month?", a="1.25%", aliases=["1.25 percent"], docs=["pol-0003"]),
    dict(q="What monthly uptime does Orlavik commit to on the Business and Enterprise plans?", a="99.95%", aliases=["99.95"], docs=["pol-0004"]),
    dict(q="What does the credit rise to when uptime drops below 99.5%?", a="25%", aliases=["25 percent"], docs=["pol-0004"]),
    dict(q="How long does the billing team take to review tax exemption certificates?", a="8 business days", aliases=["eight business days"], docs=["pol-0005"]),
    dict(q="How much credit does a referrer receive once the referred workspace has paid?", a="$200 credit", aliases=["$200", "200 dollars"], docs=["pol-0006"]),
    dict(q="When do unused referral credits expire?", a="18 months", aliases=["after 18 months", "eighteen months"], docs=["pol-0006"]),
    dict(q="How many months of invoices and payments can billing admins export as a CSV file?", a="36 months", aliases=["36", "three years"], docs=["chg-0001"]),
    dict(q="How many cost centres can billing admins split a workspace invoice across?", a="6 cost centres", aliases=["6", "six"], docs=["chg-0002"]),
    dict(q="How many business days does a SEPA mandate take to become active?", a="2 business days", aliases=["two business days"], docs=["chg-0003"]),
    dict(q="What are Relay requests above the included quota billed at?", a="$0.40 per 10,000 requests", aliases=["$0.40"], docs=["chg-0004"]),
    dict(q="Which error code does Relay return when usage reaches the monthly cap?", a="RLY-4290", docs=["chg-0004"]),
    dict(q="What instalment fee is added to the first instalment of an annual amount?", a="2.5%", aliases=["2.5 percent"], docs=["chg-0005"]),
    dict(q="What time does the nightly ledger-reconciler job start?", a="02:15 UTC", aliases=["2:15 UTC", "02:15"], docs=["rb-0001"]),
    dict(q="Which ledgerctl command continues from the last committed batch?", a="ledgerctl reconcile --resume", aliases=["reconcile --resume"], docs=["rb-0001"]),
    dict(q="Which error code flags duplicate captures in Ledger admin?", a="LDG-409", docs=["rb-0002"]),
    dict(q="Who is the payments lead to page when customers report duplicates on the same day?", a="Anouk Verbeek", aliases=["Verbeek"], docs=["rb-0002"]),
    dict(q="Which payment processor does Ledger charge cards through?", a="Paycrest", docs=["rb-0003"]),
    dict(q="Which DKIM selector must still be published for ledger.orlavik.example?", a="ldg2025", docs=["rb-0004"]),
    dict(q="How long was the invoice generation run for 1 August delayed?", a="6 hours and 15 minutes", aliases=["6 hours 15 minutes", "6h15"], docs=["sp-0001"]),
]
