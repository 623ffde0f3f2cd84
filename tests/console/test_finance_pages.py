"""The finance desk's pages under AppTest: who may open them, one invoice with its first page, text
and fields with their sources, adding an unknown vendor (its invoice reprocessed and routed), the
vendor master's import, and polling the mailbox."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from streamlit.testing.v1 import AppTest

from engine import api
from engine.demo.invoices import acme_invoice, invoice_mail, invoice_pdf
from engine.demo.loader import demo_password
from engine.vocab import InvoiceStatus, Role
from tests.conftest import TODAY
from tests.console.test_pages import ROOT, SESSION_KEY, as_role, by_label, texts, unescape

FINANCE_PAGES = {
    "../pages/invoices.py": "Invoices",
    "../pages/unknown_vendors.py": "Unknown vendors",
    "../pages/vendors.py": "Vendor master",
    "../pages/mailbox.py": "Mailbox",
}
ALLOWED = {Role.FINANCE, Role.ADMIN}


def page(role: Role, path: str) -> AppTest:
    at = as_role(role)
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def invoices(ledger: api.Ledger, **filters: object) -> list[api.InvoiceView]:
    return api.list_invoices(ledger, actor=api.CLI_OPERATOR, **filters).items  # type: ignore[arg-type]


@pytest.mark.parametrize("role", list(Role))
def test_every_finance_page_for_every_role(demo: api.Ledger, role: Role) -> None:
    at = as_role(role)
    for path, title in FINANCE_PAGES.items():
        if role in ALLOWED:
            at.switch_page(path).run()
            assert not at.exception, f"{path} as {role}: {at.exception}"
            assert [t.value for t in at.title] == [title]
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(path)


@pytest.mark.parametrize("role", [Role.SALES, Role.STORES, Role.MANAGER])
@pytest.mark.parametrize("path", [p.removeprefix("../") for p in FINANCE_PAGES])
def test_a_direct_visit_is_refused_naming_the_roles(demo: api.Ledger, role: Role, path: str) -> None:
    email = f"{role.value}@demo.local"
    session = api.sign_in(demo, email=email, password=demo_password(email)).session_id
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.session_state[SESSION_KEY] = session
    at.run()
    assert not at.exception
    errors = [str(e.value) for e in at.error]
    assert len(errors) == 1 and "needs the finance or admin role" in errors[0], errors
    assert f"`{email}`" in errors[0]
    assert not at.dataframe and not at.button


def test_an_invoice_shows_its_image_text_and_fields_with_sources(demo: api.Ledger) -> None:
    (acme,) = invoices(demo, vendor="ACME Tools LLC")
    at = as_role(Role.FINANCE)
    at.query_params["invoice"] = acme.invoice_id
    at.switch_page("../pages/invoices.py").run()
    assert not at.exception, at.exception
    listed = at.dataframe[0].value
    assert list(listed.columns[:9]) == [
        "Received", "Vendor", "Number", "Date", "Total", "Currency", "Status", "GL", "Routed"
    ]  # fmt: skip
    assert len(listed) == api.list_invoices(demo, actor=api.CLI_OPERATOR).total
    assert by_label(at.selectbox, "Open invoice").value == acme.invoice_id
    fields = next(f.value for f in at.dataframe if list(f.value.columns) == ["Field", "Value", "Source"])
    rows = {r.Field: (r.Value, r.Source) for r in fields.itertuples()}
    assert rows["Vendor"] == ("ACME Tools LLC", "domain: sender domain acme-tools.example")
    assert rows["Invoice number"] == ("INV-2026-1142", "generic")
    assert rows["Total"] == ("315.00", "generic")
    assert rows["Currency"][0] == "AED"
    assert rows["GL code"] == ("6100", "vendor master")
    pages = [i for i in at.image if i.captions == ["INV-2026-1142.pdf, page 1"]]
    assert pages and pages[0].value[0], [i.captions for i in at.image]
    assert any("Invoice No: INV-2026-1142" in c.value for c in at.code)
    assert [b.label for b in at.button][:2] == ["Reprocess", "Route again"]
    assert any(d.proto.label.startswith("Download INV") for d in at.get("download_button"))
    # Reprocess: the same invoice read again, still processed and routed.
    by_label(at.button, "Reprocess").click().run()
    assert not at.exception, at.exception
    assert any(f"{acme.invoice_id}: 1 invoice reprocessed: 1 processed, 1 routed" in unescape(s.value)
               for s in at.success), texts(at)  # fmt: skip
    by_label(at.button, "Route again").click().run()
    assert any(f"{acme.invoice_id} routed to" in unescape(s.value) for s in at.success), texts(at)


def test_filters_narrow_the_list(demo: api.Ledger) -> None:
    at = page(Role.ADMIN, "../pages/invoices.py")
    by_label(at.selectbox, "Status").set_value(InvoiceStatus.UNKNOWN).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert set(shown["Status"]) == {"unknown"}
    assert len(shown) == len(invoices(demo, status=InvoiceStatus.UNKNOWN))


def desert_rain(ledger: api.Ledger) -> api.InvoiceView:
    (waiting,) = [i for i in invoices(ledger) if i.detected_name == "Desert Rain Catering"]
    assert waiting.status is InvoiceStatus.UNKNOWN and waiting.vendor_name is None
    return waiting


def test_adding_an_unknown_vendor_reprocesses_its_invoice(demo: api.Ledger) -> None:
    waiting = desert_rain(demo)
    at = page(Role.FINANCE, "../pages/unknown_vendors.py")
    assert [s.value for s in at.subheader] == ["desertrain.example · 1 invoice waiting"], texts(at)
    assert "accounts@desertrain.example" in texts(at)
    # The form starts from what the mail and the PDF say.
    assert at.text_input(key="add-desertrain.example-name").value == "Desert Rain Catering"
    assert at.text_input(key="add-desertrain.example-domains").value == "desertrain.example"
    at.text_input(key="add-desertrain.example-gl").input("6400")
    at.text_input(key="add-desertrain.example-dept").input("EVENTS")
    at.button(key="add-desertrain.example-submit").click().run()
    assert not at.exception, at.exception
    done = [unescape(s.value) for s in at.success]
    assert done == ["Desert Rain Catering added; 1 invoice reprocessed: 1 processed, 1 routed."], texts(at)
    after = api.show_invoice(demo, waiting.invoice_id, actor=api.CLI_OPERATOR)
    assert after.status is InvoiceStatus.PROCESSED and after.routed_at is not None
    assert (after.vendor_name, after.gl_code, after.expense_dept) == (
        "Desert Rain Catering",
        "6400",
        "EVENTS",
    )
    assert not at.subheader and "No invoice waits for an unknown vendor." in texts(at)


def test_a_form_without_a_gl_code_is_refused_in_the_form(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/unknown_vendors.py")
    at.button(key="add-desertrain.example-submit").click().run()
    assert not at.exception, at.exception
    assert any("GL code needs at least 1 characters" in unescape(w.value) for w in at.warning), texts(at)
    assert desert_rain(demo).status is InvoiceStatus.UNKNOWN


def test_aliasing_the_domain_to_an_existing_vendor(demo: api.Ledger) -> None:
    waiting = desert_rain(demo)
    at = page(Role.ADMIN, "../pages/unknown_vendors.py")
    at.selectbox(key="alias-desertrain.example-vendor").set_value("Gulf Office Supplies")
    at.button(key="alias-desertrain.example-submit").click().run()
    assert not at.exception, at.exception
    done = [unescape(s.value) for s in at.success]
    assert done and done[0].startswith(
        "desertrain.example is now Gulf Office Supplies's; 1 invoice reprocessed"
    )
    gulf = next(
        v for v in api.list_vendors(demo, actor=api.CLI_OPERATOR) if v.vendor_name == "Gulf Office Supplies"
    )
    assert "desertrain.example" in gulf.sender_domains and "gulfoffice.example" in gulf.sender_domains
    after = api.show_invoice(demo, waiting.invoice_id, actor=api.CLI_OPERATOR)
    assert (after.status, after.vendor_name, after.gl_code) == (
        InvoiceStatus.PROCESSED,
        "Gulf Office Supplies",
        "6200",
    )


def test_vendor_import_adds_a_vendor_and_refuses_a_bad_header(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/vendors.py")
    before = len(api.list_vendors(demo, actor=api.CLI_OPERATOR))
    good = (
        "vendor_name,sender_domains,aliases,gl_code,expense_dept,allocation_schedule,product_category\n"
        "Oasis Water Co,oasiswater.example,Oasis,6500,ADMIN,1,Direct\n"
    )
    uploader = by_label(at.file_uploader, "Import vendors (.csv or .xlsx)")
    uploader.upload("vendors.csv", good.encode(), "text/csv")
    by_label(at.button, "Import").click().run()
    assert not at.exception, at.exception
    assert any("1 row(s) imported: 1 added" in unescape(s.value) for s in at.success), texts(at)
    names = [v.vendor_name for v in api.list_vendors(demo, actor=api.CLI_OPERATOR)]
    assert len(names) == before + 1 and "Oasis Water Co" in names
    assert "Oasis Water Co" in list(at.dataframe[0].value["Vendor"])

    by_label(at.file_uploader, "Import vendors (.csv or .xlsx)").upload(
        "bad.csv", b"name,domain\nSomeone,someone.example\n", "text/csv"
    )
    by_label(at.button, "Import").click().run()
    assert not at.exception, at.exception
    warnings = [unescape(w.value) for w in at.warning]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "vendor_name" in warnings[0], warnings
    assert len(api.list_vendors(demo, actor=api.CLI_OPERATOR)) == before + 1


def test_poll_now_processes_a_dropped_mail(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/mailbox.py")
    before = len(invoices(demo))
    sent = datetime.combine(TODAY, time(9, 45), tzinfo=demo.settings.zone)
    # Another sender than the demo's ACME mail of the same day (same vendor, sender and day is a duplicate).
    raw = invoice_mail(
        sender="accounts@acme-tools.example",
        subject="Invoice INV-2026-1177",
        message_id="<acme-1177@acme-tools.example>",
        sent_at=sent,
        attachments=[("INV-2026-1177.pdf", invoice_pdf(acme_invoice("INV-2026-1177", TODAY, "480.00")))],
    )
    (demo.settings.mail_dir / "acme-1177.eml").write_bytes(raw)
    at.run()
    assert any(m.label == "Waiting" and m.value == "1" for m in at.metric), [
        (m.label, m.value) for m in at.metric
    ]
    by_label(at.button, "Poll now").click().run()
    assert not at.exception, at.exception
    done = [unescape(s.value) for s in at.success]
    assert done and "1 message(s) read from the folder source: 1 invoice(s)" in done[0], texts(at)
    assert len(invoices(demo)) == before + 1
    (new,) = [i for i in invoices(demo) if i.invoice_number == "INV-2026-1177"]
    assert new.status is InvoiceStatus.PROCESSED and new.vendor_name == "ACME Tools LLC"
    assert any(m.label == "Waiting" and m.value == "0" for m in at.metric)


def test_editing_a_vendor_in_the_form(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/vendors.py")
    by_label(at.selectbox, "Vendor").set_value("ACME Tools LLC").run()
    assert by_label(at.text_input, "GL code").value == "6100"
    by_label(at.text_input, "GL code").input("6110")
    by_label(at.text_input, "Aliases").input("ACME Tools; ACME Dubai")
    by_label(at.button, "Save vendor").click().run()
    assert not at.exception, at.exception
    assert [unescape(s.value) for s in at.success] == ["ACME Tools LLC: 0 added, 1 changed."], texts(at)
    acme = next(
        v for v in api.list_vendors(demo, actor=api.CLI_OPERATOR) if v.vendor_name == "ACME Tools LLC"
    )
    assert (acme.gl_code, acme.aliases, acme.sender_domains) == (
        "6110",
        ["ACME Tools", "ACME Dubai"],
        ["acme-tools.example"],
    )
    # A domain that is another vendor's is refused, and nothing changes.
    by_label(at.selectbox, "Vendor").set_value("ACME Tools LLC").run()
    by_label(at.text_input, "Sender domains").input("acme-tools.example; gulfoffice.example")
    by_label(at.button, "Save vendor").click().run()
    assert any(
        "gulfoffice.example is already Gulf Office Supplies's" in unescape(w.value) for w in at.warning
    )


def test_a_field_is_corrected_and_becomes_the_vendors_rule(demo: api.Ledger) -> None:
    (acme,) = invoices(demo, vendor="ACME Tools LLC")
    at = as_role(Role.FINANCE)
    at.query_params["invoice"] = acme.invoice_id
    at.switch_page("../pages/invoices.py").run()
    by_label(at.selectbox, "Field").set_value("payment_terms")
    by_label(at.text_input, "Right value").input("Net 30")
    by_label(at.checkbox, "Make it a rule for this vendor").check()
    next(b for b in at.button if b.label == "Save correction").click().run()
    assert not at.exception, at.exception
    assert any(
        "Payment terms of" in unescape(s.value) and "rules learned it" in unescape(s.value)
        for s in at.success
    ), texts(at)
    corrected = api.show_invoice(demo, acme.invoice_id, actor=api.CLI_OPERATOR)
    assert corrected.payment_terms == "Net 30" and corrected.field_sources["payment_terms"] == "manual"
    rules = next(
        v for v in api.list_vendors(demo, actor=api.CLI_OPERATOR) if v.vendor_name == "ACME Tools LLC"
    ).rules
    assert rules is not None and rules.payment_terms
