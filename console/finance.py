"""Parts of the finance desk's pages: the invoice list and one invoice's fields with their sources,
the open invoice (kept in the address), the actions on it, the unknown-vendor forms (add or alias,
then reprocess what waited) and the vendor editor."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import PageContext, call, form_done, form_request_id, local_time, money
from engine import api
from engine.api import InvoiceView, PollResult, UnknownSender, VendorRecord, VendorView, build
from engine.invoices.models import FIELDS
from engine.invoices.vendors import COLUMNS, ProductCategory

DONE = "_finance_done"  # the confirmation of the last action, shown once after the rerun
OPEN = "invoice"  # the query parameter naming the open invoice

# Key columns first (what tells invoices apart), sized for a 1,440 px screen.
INVOICE_COLUMNS = {
    "Received": st.column_config.TextColumn(width="small"),
    "Vendor": st.column_config.TextColumn(width="medium", pinned=True),
    "Number": st.column_config.TextColumn(width="small"),
    "Date": st.column_config.DateColumn(width="small", format="YYYY-MM-DD"),
    "Total": st.column_config.TextColumn(width="small"),
    "Currency": st.column_config.TextColumn(width="small"),
    "Status": st.column_config.TextColumn(width="small"),
    "GL": st.column_config.TextColumn(width="small"),
    "Routed": st.column_config.TextColumn(width="small"),
    "Invoice": st.column_config.TextColumn(width="small"),
    "Sender": st.column_config.TextColumn(width="medium"),
    "Exception": st.column_config.TextColumn(width="small"),
}
FIELD_LABELS = {
    "invoice_number": "Invoice number",
    "invoice_date": "Invoice date",
    "due_date": "Due date",
    "total_amount": "Total",
    "currency": "Currency",
    "payment_terms": "Payment terms",
}


def invoices_frame(items: Sequence[InvoiceView], *, zone: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Received": local_time(i.received_at, zone),
                "Vendor": i.vendor_name or (f"? {i.detected_name}" if i.detected_name else "?"),
                "Number": i.invoice_number or "",
                "Date": i.invoice_date,
                "Total": money(i.total_amount) if i.total_amount is not None else "",
                "Currency": i.currency or "",
                "Status": str(i.status),
                "GL": i.gl_code or "",
                "Routed": local_time(i.routed_at, zone),
                "Invoice": i.invoice_id,
                "Sender": i.sender or "",
                "Exception": i.exception_id or "",
            }
            for i in items
        ],
        columns=list(INVOICE_COLUMNS),
    )


def fields_frame(item: InvoiceView) -> pd.DataFrame:
    """Every field of the invoice with where its value came from."""
    rows = [
        {
            "Field": "Vendor",
            "Value": item.vendor_name or "",
            "Source": f"{item.vendor_source}: {item.vendor_evidence}" if item.vendor_source else "",
        },
        {"Field": "Name on the invoice", "Value": item.detected_name or "", "Source": "invoice text"},
    ]
    for name in FIELDS:
        value = getattr(item, name)
        shown = money(value) if name == "total_amount" and value is not None else value
        source = item.field_sources.get(name)
        rows.append(
            {
                "Field": FIELD_LABELS.get(name, name),
                "Value": "" if shown is None else str(shown),
                "Source": source or "",
            }
        )
    for label, value in (
        ("GL code", item.gl_code),
        ("Expense dept", item.expense_dept),
        ("Allocation schedule", item.allocation_schedule),
        ("Billing party", item.billing_party),
    ):
        rows.append({"Field": label, "Value": value or "", "Source": "vendor master" if value else ""})
    return pd.DataFrame(rows, columns=["Field", "Value", "Source"])


def vendors_frame(vendors: Sequence[VendorView], *, zone: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Vendor": v.vendor_name,
                "Sender domains": "; ".join(v.sender_domains),
                "Aliases": "; ".join(v.aliases),
                "GL code": v.gl_code,
                "Expense dept": v.expense_dept or "",
                "Allocation schedule": v.allocation_schedule or "",
                "Category": str(v.product_category),
                "Venue required": v.venue_required,
                "Active": v.active,
                "Updated": local_time(v.updated_at, zone),
                "Updated by": v.updated_by,
            }
            for v in vendors
        ]
    )


def show_done() -> None:
    """The confirmation of the action just taken, once (in a slot that is always there)."""
    slot = st.empty()
    done = st.session_state.pop(DONE, None)
    if done:
        slot.success(done, icon=":material/check_circle:")


def finish(message: str, form_key: str | None = None) -> None:
    if form_key:
        form_done(form_key)
    st.session_state[DONE] = plain(message)
    st.rerun()


def open_invoice(ctx: PageContext, items: list[InvoiceView]) -> InvoiceView | None:
    """The invoice the user opened: the one named in the address, even when the filters no longer
    list it; else the first listed."""
    wanted = st.query_params.get(OPEN)
    listed = {i.invoice_id: i for i in items}
    if wanted and wanted not in listed:
        extra = call(api.show_invoice, ctx.ledger, wanted, actor=ctx.actor)
        if extra is not None:
            listed = {extra.invoice_id: extra, **listed}
    ids = list(listed)
    if not ids:
        return None
    chosen = st.selectbox(
        "Open invoice",
        ids,
        index=ids.index(wanted) if wanted in listed else 0,
        format_func=lambda i: f"{i} · {listed[i].vendor_name or '?'} · {listed[i].invoice_number or '—'}",
    )
    if chosen != wanted:
        st.query_params[OPEN] = chosen
    return listed[chosen]


def outcome(views: Sequence[InvoiceView]) -> str:
    """'2 invoices reprocessed: 2 processed, 2 routed' — what a reprocess did."""
    by_status: dict[str, int] = {}
    for view in views:
        by_status[str(view.status)] = by_status.get(str(view.status), 0) + 1
    states = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    routed = sum(v.routed_at is not None for v in views)
    noun = "invoice" if len(views) == 1 else "invoices"
    return f"{len(views)} {noun} reprocessed" + (f": {states}, {routed} routed" if views else "")


def invoice_actions(ctx: PageContext, item: InvoiceView) -> None:
    left, right, _ = st.columns([1, 1, 3])
    if left.button("Reprocess", icon=":material/refresh:", key=f"reprocess-{item.invoice_id}"):
        done = call(api.reprocess_invoices, ctx.ledger, actor=ctx.actor, invoice_id=item.invoice_id)
        if done is not None:
            finish(f"{item.invoice_id}: {outcome(done)}.")
    if right.button("Route again", icon=":material/forward_to_inbox:", key=f"route-{item.invoice_id}"):
        routed = call(api.route_invoice, ctx.ledger, item.invoice_id, actor=ctx.actor)
        if routed is not None:
            finish(f"{routed.invoice_id} routed to {routed.routed_to or 'the AP address'}.")


CORRECTABLE = {
    "invoice_number": "Invoice number",
    "invoice_date": "Invoice date (YYYY-MM-DD)",
    "due_date": "Due date (YYYY-MM-DD)",
    "total_amount": "Total amount",
    "currency": "Currency (ISO code)",
    "payment_terms": "Payment terms",
}


def correction_form(ctx: PageContext, item: InvoiceView) -> None:
    """Correct one field; optionally teach the vendor's rules where it stands on its invoices."""
    with st.expander("Correct a field", icon=":material/edit:"), st.form(f"correct-{item.invoice_id}"):
        field = st.selectbox("Field", list(CORRECTABLE), format_func=CORRECTABLE.__getitem__)
        value = st.text_input("Right value", help="Empty clears the field.")
        teach = st.checkbox(
            "Make it a rule for this vendor",
            disabled=item.vendor_name is None,
            help="Its next invoices are read this way (the vendor's own extraction rule).",
        )
        if st.form_submit_button("Save correction", icon=":material/save:"):
            done = call(
                api.correct_invoice,
                ctx.ledger,
                item.invoice_id,
                field=field,
                value=value,
                make_rule=teach,
                actor=ctx.actor,
            )
            if done is not None:
                learned = "; the vendor's rules learned it" if done.learned_rule else ""
                if teach and not done.learned_rule:
                    learned = "; no rule learned: the value is not written on the invoice as given"
                finish(f"{CORRECTABLE[field]} of {item.invoice_id} corrected{learned}.")


def _save_and_reprocess(ctx: PageContext, record: VendorRecord, form_key: str, what: str) -> None:
    """One intent: the vendor saved, then every invoice waiting for it read again and routed."""
    saved = call(
        api.save_vendors,
        ctx.ledger,
        [record],
        actor=ctx.actor,
        request_id=form_request_id(form_key, record.model_dump_json()),
    )
    if saved is None:
        return
    done = call(api.reprocess_invoices, ctx.ledger, actor=ctx.actor, vendor=record.vendor_name)
    if done is not None:
        finish(f"{what}; {outcome(done)}.", form_key)


def add_vendor_form(ctx: PageContext, group: UnknownSender) -> None:
    domain = group.sender_domain
    with st.form(f"add-{domain}"):
        key = f"add-{domain}"
        name = st.text_input("Vendor name", value=(group.detected_names or [""])[0], key=f"{key}-name")
        domains = st.text_input(
            "Sender domains", value=domain, help="Separate several with ;", key=f"{key}-domains"
        )
        gl_code = st.text_input("GL code", key=f"{key}-gl")
        dept = st.text_input("Expense dept", key=f"{key}-dept")
        schedule = st.text_input("Allocation schedule", key=f"{key}-schedule")
        category = st.selectbox("Category", list(ProductCategory), key=f"{key}-category")
        if not st.form_submit_button("Add as a new vendor", type="primary", key=f"{key}-submit"):
            return
    record = call(
        build,
        VendorRecord,
        vendor_name=name,
        sender_domains=domains,
        gl_code=gl_code,
        expense_dept=dept or None,
        allocation_schedule=schedule or None,
        product_category=category,
    )
    if record is not None:
        _save_and_reprocess(ctx, record, f"add-{domain}", f"{record.vendor_name} added")


def alias_form(ctx: PageContext, group: UnknownSender, vendors: list[VendorView]) -> None:
    domain = group.sender_domain
    names = [v.vendor_name for v in vendors]
    first = names.index(group.similar_vendors[0]) if group.similar_vendors else 0
    with st.form(f"alias-{domain}"):
        chosen = st.selectbox(
            "Existing vendor", names, index=first if names else None, key=f"alias-{domain}-vendor"
        )
        submit = f"Alias {domain} to this vendor"
        if not st.form_submit_button(submit, disabled=not names, key=f"alias-{domain}-submit"):
            return
    vendor = next(v for v in vendors if v.vendor_name == chosen)
    fields = {k: getattr(vendor, k) for k in VendorRecord.model_fields}
    fields["sender_domains"] = [*vendor.sender_domains, domain]
    record = call(build, VendorRecord, **fields)
    if record is not None:
        _save_and_reprocess(ctx, record, f"alias-{domain}", f"{domain} is now {vendor.vendor_name}'s")


def vendor_form(ctx: PageContext, vendors: list[VendorView]) -> None:
    """Add a vendor, or edit one (its name is its key: a new name is a new vendor)."""
    by_name = {v.vendor_name: v for v in vendors}
    picked = st.selectbox("Vendor", [None, *by_name], format_func=lambda n: n or "New vendor")
    v = by_name.get(picked) if picked else None
    with st.form(f"vendor-{picked or 'new'}"):
        name = st.text_input("Vendor name", value=v.vendor_name if v else "", disabled=v is not None)
        domains = st.text_input("Sender domains", value="; ".join(v.sender_domains) if v else "")
        aliases = st.text_input("Aliases", value="; ".join(v.aliases) if v else "")
        gl_code = st.text_input("GL code", value=v.gl_code if v else "")
        dept = st.text_input("Expense dept", value=(v.expense_dept or "") if v else "")
        schedule = st.text_input("Allocation schedule", value=(v.allocation_schedule or "") if v else "")
        categories = list(ProductCategory)
        category = st.selectbox(
            "Category", categories, index=categories.index(v.product_category) if v else 0
        )
        venue = st.checkbox("Venue required", value=v.venue_required if v else False)
        active = st.checkbox("Active", value=v.active if v else True)
        if not st.form_submit_button("Save vendor", type="primary"):
            return
    record = call(
        build,
        VendorRecord,
        vendor_name=v.vendor_name if v else name,
        sender_domains=domains,
        aliases=aliases,
        gl_code=gl_code,
        expense_dept=dept or None,
        allocation_schedule=schedule or None,
        product_category=category,
        venue_required=venue,
        active=active,
        rules=v.rules if v else None,
    )
    if record is None:
        return
    key = f"vendor-{picked or 'new'}"
    saved = call(
        api.save_vendors,
        ctx.ledger,
        [record],
        actor=ctx.actor,
        request_id=form_request_id(key, record.model_dump_json()),
    )
    if saved is not None:
        finish(f"{record.vendor_name}: {saved.created} added, {saved.updated} changed.", key)


def vendor_import_form(ctx: PageContext) -> None:
    with st.form("import-vendors"):
        upload = st.file_uploader(
            "Import vendors (.csv or .xlsx)", type=["csv", "xlsx"], max_upload_size=ctx.upload_mb
        )
        st.caption("Columns: " + ", ".join(COLUMNS) + ". All rows valid or nothing changes.")
        if not (st.form_submit_button("Import", icon=":material/upload:") and upload):
            return
    imported = call(
        api.import_vendors,
        ctx.ledger,
        upload.getvalue(),
        upload.name,
        actor=ctx.actor,
        request_id=form_request_id("import-vendors", upload.file_id),
    )
    if imported is not None:  # shown above the table, which then lists what was imported
        finish(
            f"{imported.rows} row(s) imported: {imported.created} added, {imported.updated} changed, "
            f"{imported.unchanged} unchanged.",
            "import-vendors",
        )


def poll_summary(result: PollResult) -> str:
    return (
        f"{result.messages} message(s) read from the {result.source} source: {result.invoices} invoice(s), "
        f"{result.skipped} skipped, {result.errors} error(s), {result.routed} routed."
    )
