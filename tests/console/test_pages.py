"""The real console under AppTest: every page for every role, access refused where a role has no
business, the upload flow through the file uploader, errors shown as messages, text never as HTML."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import api
from engine.clock import utcnow
from engine.demo.builder import csv_bytes, cut_export_lines, xlsx_bytes
from engine.demo.loader import demo_password
from engine.vocab import ExceptionAction, Role, Source

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "console" / "app.py")
PAGES = {
    "../pages/home.py": set(Role),
    "../pages/sales_upload.py": {Role.SALES, Role.MANAGER, Role.ADMIN},
    "../pages/tags.py": {Role.SALES, Role.STORES, Role.MANAGER, Role.ADMIN},
    "../pages/lpos.py": {Role.SALES, Role.STORES, Role.MANAGER, Role.ADMIN},
    "../pages/mapping_review.py": {Role.STORES, Role.ADMIN},
    "../pages/material_master.py": {Role.STORES, Role.ADMIN},
    "../pages/overrides.py": {Role.STORES, Role.ADMIN},
    "../pages/brand_maps.py": {Role.STORES, Role.ADMIN},
    "../pages/skus.py": {Role.STORES, Role.ADMIN},
    "../pages/stock_snapshot.py": {Role.STORES, Role.ADMIN},
    "../pages/allocation.py": {Role.STORES, Role.ADMIN},
    "../pages/coverage.py": {Role.STORES, Role.ADMIN},
    "../pages/invoices.py": {Role.FINANCE, Role.ADMIN},
    "../pages/unknown_vendors.py": {Role.FINANCE, Role.ADMIN},
    "../pages/vendors.py": {Role.FINANCE, Role.ADMIN},
    "../pages/mailbox.py": {Role.FINANCE, Role.ADMIN},
    "../pages/carrier_upload.py": {Role.FINANCE, Role.MANAGER, Role.ADMIN},
    "../pages/carrier_files.py": {Role.FINANCE, Role.MANAGER, Role.ADMIN},
    "../pages/bills.py": {Role.FINANCE, Role.MANAGER, Role.ADMIN},
    "../pages/reconciliation.py": {Role.FINANCE, Role.MANAGER, Role.ADMIN},
    "../pages/disputes.py": {Role.FINANCE, Role.MANAGER, Role.ADMIN},
    "../pages/wms_shipments.py": {Role.MANAGER, Role.ADMIN},
    "../pages/exceptions.py": set(Role),
    "../pages/audit.py": set(Role),
    "../pages/operations.py": {Role.ADMIN},
    "../pages/users.py": {Role.ADMIN},
    "../pages/api_keys.py": {Role.ADMIN},
    "../pages/recon_settings.py": {Role.ADMIN},
}
SESSION_KEY = "_opsledger_session_id"


def sign_in(email: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.value for t in at.title] == ["Sign in to OpsLedger"]
    by_label(at.text_input, "E-mail").input(email)
    by_label(at.text_input, "Password").input(password)
    by_label(at.button, "Sign in").click().run()
    return at


def as_role(role: Role) -> AppTest:
    email = f"{role.value}@demo.local"
    at = sign_in(email, demo_password(email))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Home"]
    return at


def by_label(elements, label: str):  # type: ignore[no-untyped-def]
    found = [e for e in elements if getattr(e, "label", None) == label]
    assert found, f"no widget labelled {label!r}; have {[getattr(e, 'label', None) for e in elements]}"
    return found[0]


def unescape(markdown: object) -> str:
    """The text a reader sees: our markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", str(markdown))


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "success", "warning", "error", "info", "caption", "title", "subheader", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return unescape("\n".join(parts))


@pytest.mark.parametrize("role", list(Role))
def test_every_page_for_every_role(demo: api.Ledger, role: Role) -> None:
    at = as_role(role)
    for page, allowed in PAGES.items():
        if role in allowed:
            at.switch_page(page).run()
            assert not at.exception, f"{page} as {role}: {at.exception}"
            assert at.title, f"{page} rendered no title for {role}"
            assert not [e.value for e in at.error if "may not open" in str(e.value)]
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)


@pytest.mark.parametrize(
    ("page", "role"),
    [
        ("pages/users.py", Role.SALES),
        ("pages/api_keys.py", Role.MANAGER),
        ("pages/operations.py", Role.STORES),
        ("pages/sales_upload.py", Role.STORES),
        ("pages/tags.py", Role.FINANCE),
        ("pages/mapping_review.py", Role.SALES),
        ("pages/allocation.py", Role.MANAGER),
        ("pages/coverage.py", Role.FINANCE),
        ("pages/recon_settings.py", Role.MANAGER),
        ("pages/carrier_files.py", Role.SALES),
    ],
)
def test_a_direct_visit_to_a_forbidden_page_is_refused(demo: api.Ledger, page: str, role: Role) -> None:
    email = f"{role.value}@demo.local"
    session = api.sign_in(demo, email=email, password=demo_password(email)).session_id
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state[SESSION_KEY] = session
    at.run()
    assert not at.exception
    assert any("may not open" in str(e.value) for e in at.error)
    assert not at.dataframe and not at.button


def test_a_page_without_a_session_asks_to_sign_in(demo: api.Ledger) -> None:
    at = AppTest.from_file(str(ROOT / "pages/tags.py"), default_timeout=60).run()
    assert any("Sign in again" in str(w.value) for w in at.warning) and not at.dataframe


def test_wrong_password_and_sign_out(demo: api.Ledger) -> None:
    at = sign_in("sales@demo.local", "not-the-password")
    assert [e.value for e in at.error] == ["E-mail or password is wrong."]
    at = as_role(Role.SALES)
    assert "Signed in as `sales@demo.local`" in texts(at)
    by_label(at.button, "Sign out").click().run()
    assert [t.value for t in at.title] == ["Sign in to OpsLedger"]
    assert not at.exception


def upload(
    at: AppTest, name: str, content: bytes, *, lpo: str = "LPO-2025-0412", area: float = 12.5
) -> AppTest:
    by_label(at.selectbox, "LPO").set_value(lpo)
    by_label(at.number_input, "Required area (m2)").set_value(area)
    by_label(at.file_uploader, "Cut export").upload(
        name, content, "text/csv" if name.endswith(".csv") else "application/octet-stream"
    )
    by_label(at.button, "Upload tag sheet").click().run()
    assert not at.exception, at.exception
    return at


def tag_count(ledger: api.Ledger) -> int:
    return api.list_tags(ledger, actor=api.CLI_OPERATOR).total


def test_upload_flow_through_the_file_uploader(demo: api.Ledger) -> None:
    at = as_role(Role.SALES)
    at.switch_page("../pages/sales_upload.py").run()
    before = tag_count(demo)
    sheet = xlsx_bytes(cut_export_lines(14, seed=99))
    upload(at, "nest_14.xlsx", sheet)
    success = [unescape(s.value) for s in at.success]
    assert len(success) == 1 and "uploaded: 14 lines on LPO-2025-0412" in success[0]
    tag_id = success[0].split("**")[1]
    assert tag_count(demo) == before + 1
    assert any(f"Open {tag_id}" == link.label for link in at.get("page_link"))
    # The same form sent again once its answer was shown, or the file chosen again: the engine
    # answers that the sheet is there already, with its tag; never a second tag.
    by_label(at.button, "Upload tag sheet").click().run()
    assert tag_count(demo) == before + 1
    assert any("already uploaded" in str(w.value) and tag_id in unescape(w.value) for w in at.warning)
    upload(at, "nest_14.xlsx", sheet)
    assert any("already uploaded" in str(w.value) and tag_id in unescape(w.value) for w in at.warning)
    assert tag_count(demo) == before + 1


def test_blocked_and_bad_uploads_show_specific_messages(demo: api.Ledger) -> None:
    at = as_role(Role.SALES)
    at.switch_page("../pages/sales_upload.py").run()
    upload(at, "hold.csv", csv_bytes(cut_export_lines(3, seed=4)), lpo="LPO-2025-0391")
    assert any("is stored as BLOCKED: LPO LPO-2025-0391 is on hold" in unescape(e.value) for e in at.error)
    assert any(link.label.startswith("Open exception EX-") for link in at.get("page_link"))
    before = tag_count(demo)
    upload(at, "legacy.csv", "nesting_description,qty,unit\nTie rod Ø8mm,7,m\n".encode("cp1252"))
    # Readable bytes in a legacy encoding: kept as a PARSE_ERROR (422), not refused as bad input.
    assert any("Not uploaded" in e.value and "is not UTF-8" in unescape(e.value) for e in at.error)
    upload(at, "empty.csv", b"")
    assert any("is empty" in str(w.value) for w in at.warning)
    upload(at, "zero.csv", csv_bytes(cut_export_lines(2, seed=8)), area=0.0)
    assert any("The required area (m2) must be greater than 0" in unescape(w.value) for w in at.warning)
    assert tag_count(demo) == before
    assert not at.exception


def test_markup_in_a_description_renders_as_text(demo: api.Ledger) -> None:
    script = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
    at = as_role(Role.SALES)
    at.switch_page("../pages/sales_upload.py").run()
    upload(at, "markup.csv", csv_bytes([{"nesting_description": script, "qty": "2", "unit": "pcs"}]))
    tag_id = unescape(str(at.success[0].value).split("**")[1])
    at.query_params["tag"] = tag_id
    at.switch_page("../pages/tags.py").run()
    assert not at.exception
    lines = [frame.value for frame in at.dataframe if "Description" in frame.value.columns]
    assert lines and script in list(lines[0]["Description"])
    assert not at.get("html") or all("<script>" not in str(h.proto) for h in at.get("html"))
    assert "<script>" not in texts(at)


MARKDOWN_KINDS = (
    "markdown",
    "success",
    "warning",
    "error",
    "info",
    "caption",
    "title",
    "subheader",
    "header",
)


def raw_markdown_shown(at: AppTest, raw: str) -> list[str]:
    """Elements that would render ``raw`` as markdown (bold, a link) instead of showing it as typed."""
    return [str(e.value) for kind in MARKDOWN_KINDS for e in getattr(at, kind) if raw in str(e.value)]


def test_markdown_in_user_text_is_shown_as_typed(demo: api.Ledger) -> None:
    """A description from a cut export reaches the review queue, its exception and the tag: it is
    shown exactly as typed, never rendered (no bold, no link to follow)."""
    raw = "**Bold** [click](https://evil.example/x) _wide_"
    at = as_role(Role.SALES)
    at.switch_page("../pages/sales_upload.py").run()
    upload(at, "**Bold** sheet.csv", csv_bytes([{"nesting_description": raw, "qty": "2", "unit": "pcs"}]))
    assert not at.exception and at.success, [e.value for e in at.error + at.warning]
    at.query_params["tag"] = unescape(str(at.success[0].value).split("**")[1])
    at.switch_page("../pages/tags.py").run()
    at.session_state["tag-tab"] = "File and versions"  # only the open tab is drawn
    at.run()
    labels = [str(b.label) for b in at.get("download_button")]
    assert "Download **Bold** sheet.csv (version 1)" in [unescape(label) for label in labels], labels
    assert not [label for label in labels if "**Bold**" in label], "the file name is shown as typed"
    stores = as_role(Role.STORES)
    stores.switch_page("../pages/mapping_review.py").run()
    by_label(stores.selectbox, "Review").set_value(raw.lower()).run()
    assert not stores.exception
    assert raw in [unescape(h.value) for h in stores.subheader], "shown as typed"
    assert not raw_markdown_shown(stores, "**Bold**") and not raw_markdown_shown(stores, "](https://")
    review = next(i for i in api.review_queue(demo, actor=api.CLI_OPERATOR) if i.description == raw.lower())
    stores.query_params["exception"] = str(review.exception_id)
    stores.switch_page("../pages/exceptions.py").run()
    assert not stores.exception
    assert raw in texts(stores), "the review's message names the description as typed"
    assert not raw_markdown_shown(stores, "**Bold**") and not raw_markdown_shown(stores, "](https://")


def test_exceptions_page_acts_with_the_version_seen(demo: api.Ledger) -> None:
    at = as_role(Role.SALES)
    at.switch_page("../pages/exceptions.py").run()
    chosen = by_label(at.selectbox, "Open exception").value
    by_label(at.radio, "Action").set_value(ExceptionAction.ACKNOWLEDGE)
    by_label(at.button, "Apply").click().run()
    assert not at.exception
    assert api.get_exception(demo, chosen, actor=api.CLI_OPERATOR).status == "ACKNOWLEDGED"


def test_admin_adds_a_user(demo: api.Ledger) -> None:
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/users.py").run()
    by_label(at.text_input, "E-mail").input("new.person@demo.local")
    next(ms for ms in at.multiselect if ms.key == "new-roles").set_value([Role.STORES])
    by_label(at.button, "Add").click().run()
    assert not at.exception
    assert any("Added new.person@demo.local: roles stores." in unescape(s.value) for s in at.success)
    assert api.actor_for(demo, "new.person@demo.local", source=Source.CONSOLE).roles == {Role.STORES}


def test_admin_deactivates_reactivates_and_deactivates_again(demo: api.Ledger) -> None:
    """Each save is a new request: the same form sent again after its result was shown acts again
    (an idempotency key that outlived its answer would silently replay the first save)."""
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/users.py").run()
    by_label(at.selectbox, "User").set_value("finance@demo.local").run()
    for active in (False, True, False):
        by_label(at.checkbox, "Active").set_value(active)
        by_label(at.button, "Save").click().run()
        assert not at.exception
        stored = next(
            u for u in api.list_users(demo, actor=api.CLI_OPERATOR) if u.email == "finance@demo.local"
        )
        assert stored.active is active and stored.roles == [Role.FINANCE]
        shown = unescape(at.success[-1].value)
        state = "active" if active else "inactive"
        assert shown == f"Saved finance@demo.local: roles finance; {state}.", shown


def test_operations_page_runs_a_job(demo: api.Ledger) -> None:
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/operations.py").run()
    assert any(m.label == "Schema version" for m in at.metric)
    by_label(at.button, "Run now").click().run()
    assert not at.exception
    runs = api.list_job_runs(demo, actor=api.CLI_OPERATOR).items
    assert runs and runs[0].job_name == "sla_escalation" and runs[0].status == "succeeded"


def test_stores_resolves_a_review_and_the_queue_shrinks(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/mapping_review.py").run()
    assert by_label(at.metric, "Descriptions waiting").value == "3"
    by_label(at.selectbox, "Review").set_value("aluminum tape").run()
    assert any(h.value == "Aluminum Tape" for h in at.subheader)
    suggestions = next(f for f in at.dataframe if "Similarity" in f.value.columns).value
    assert suggestions["Canonical code"].iloc[0].startswith("TAPE-AL-")
    by_label(at.selectbox, "Canonical material").set_value("TAPE-AL-75")
    by_label(at.radio, "Save as").set_value("global")
    by_label(at.button, "Resolve").click().run()
    assert not at.exception
    assert any("aluminum tape → TAPE-AL-75: 1 line(s) mapped." in unescape(s.value) for s in at.success)
    assert by_label(at.metric, "Descriptions waiting").value == "2"
    queue = api.review_queue(demo, actor=api.CLI_OPERATOR)
    assert sorted(item.description for item in queue) == ["corner", "misc hardware"]


def test_stores_imports_master_rows_through_the_page(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/material_master.py").run()
    content = csv_bytes(
        [{"nesting_description": "Corner", "canonical_code": "ACC-CORNER-PVC", "uom": "Nos"}],
        columns=("nesting_description", "canonical_code", "uom"),
    )
    by_label(at.file_uploader, "Import material master (.csv or .xlsx)").upload(
        "corner.csv", content, "text/csv"
    )
    by_label(at.button, "Import").click().run()
    assert not at.exception
    assert any(
        "1 added, 0 changed, 0 unchanged; 1 waiting line(s) mapped now." in unescape(s.value)
        for s in at.success
    )
    bad = csv_bytes(
        [{"nesting_description": "x", "canonical_code": "ACC-CORNER-PVC", "uom": "kg"}],
        columns=("nesting_description", "canonical_code", "uom"),
    )
    by_label(at.file_uploader, "Import material master (.csv or .xlsx)").upload("bad.csv", bad, "text/csv")
    by_label(at.button, "Import").click().run()
    assert any("row 2: ACC-CORNER-PVC is counted in pcs, not kg" in unescape(w.value) for w in at.warning)
    assert [b.label for b in at.get("download_button")] == ["Download .csv", "Download .xlsx"]


def test_stores_uploads_a_snapshot_and_runs_an_allocation(demo: api.Ledger) -> None:
    from engine.clock import business_day
    from tests.conftest import snapshot_csv

    at = as_role(Role.STORES)
    at.switch_page("../pages/stock_snapshot.py").run()
    today = business_day(demo.settings.zone)
    by_label(at.file_uploader, "SAP stock snapshot (.csv or .xlsx)").upload(
        "snap.csv", snapshot_csv(today), "text/csv"
    )
    by_label(at.button, "Load snapshot").click().run()
    assert any(f"Snapshot of {today} loaded: 28 rows, 28 SKUs." in unescape(s.value) for s in at.success)
    at.switch_page("../pages/allocation.py").run()
    by_label(at.button, "Run allocation").click().run()
    assert not at.exception
    assert any("allocated" in unescape(s.value) and "partial" in unescape(s.value) for s in at.success)
    frames = [f.value for f in at.dataframe if "SKU" in f.value.columns]
    assert frames and "40001021" in set(frames[0]["SKU"])
    assert [b.label for b in at.get("download_button")] == ["Pick list (.csv)", "Pick list (.pdf)"]
    first_run = next(unescape(s.value) for s in at.success if "allocated" in unescape(s.value)).split()[1]
    by_label(at.button, "Run allocation").click().run()
    second_run = next(unescape(s.value) for s in at.success if "allocated" in unescape(s.value)).split()[1]
    assert second_run != first_run, "pressed again after the result was shown: a rerun, not a replay"
    at.switch_page("../pages/coverage.py").run()
    assert not at.exception and by_label(at.metric, "Allocation success").value.endswith("%")


SSO = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-of-enough-length-0123456789",
    "microsoft": {
        "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "test",
        "server_metadata_url": "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration",
    },
}


def id_token(email: str, *, issued: datetime | None = None) -> dict[str, object]:
    """The claims ``st.user`` holds after ``st.login`` (issued now, unless told otherwise)."""
    at = issued or utcnow()
    return {"iss": "https://idp.example", "sub": f"sub-{email}", "email": email, "iat": int(at.timestamp())}


def test_single_sign_on_user_with_an_account_gets_a_session(demo: api.Ledger) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = SSO
    at.user = {"is_logged_in": True, **id_token("stores@demo.local"), "name": "Stores Person"}
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Home"]
    assert "Signed in as `stores@demo.local`" in texts(at)
    trail = api.search_audit(demo, actor=api.CLI_OPERATOR, user="stores@demo.local").items
    assert [(a.action, a.after_summary) for a in trail] == [
        ("SIGN_IN", '{"method": "oidc"}'),
        ("USER_IDENTITY_BOUND", '{"issuer": "https://idp.example", "subject": "sub-stores@demo.local"}'),
    ]


def test_single_sign_on_user_without_an_account_is_told_why(demo: api.Ledger) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = SSO
    at.user = {"is_logged_in": True, **id_token("stranger@demo.local")}
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Sign in to OpsLedger"]
    assert any("stranger@demo.local has no OpsLedger account yet." in unescape(e.value) for e in at.error)
    assert by_label(at.button, "Sign in with your organisation account")
