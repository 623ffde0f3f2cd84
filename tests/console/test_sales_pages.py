"""The sales desk pages under AppTest: where the upload form starts, the area a sheet states, the
balance right after an upload, a repeated submission, words instead of HTTP codes, the tag page after
a replace, the LPO import's messages."""

from __future__ import annotations

import re
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from engine import api
from engine.demo.builder import csv_bytes, cut_export_lines
from engine.vocab import Role
from tests.conftest import TODAY
from tests.console.test_pages import as_role, by_label, texts, unescape

LPO = "LPO-2025-0412"


def upload_page(role: Role = Role.SALES) -> AppTest:
    at = as_role(role)
    at.switch_page("../pages/sales_upload.py").run()
    assert not at.exception, at.exception
    return at


def choose_file(at: AppTest, name: str, content: bytes) -> AppTest:
    by_label(at.file_uploader, "Cut export").upload(name, content, "text/csv").run()
    assert not at.exception, at.exception
    return at


def send(at: AppTest) -> AppTest:
    by_label(at.button, "Upload tag sheet").click().run()
    assert not at.exception, at.exception
    return at


def balance_caption(at: AppTest, lpo_id: str) -> str:
    found = [unescape(c.value) for c in at.caption if unescape(c.value).startswith(f"{lpo_id} · ")]
    assert found, texts(at)
    return found[0]


def test_the_form_starts_on_the_lpo_last_used_else_one_with_balance(demo: api.Ledger) -> None:
    # The demo's sales user last uploaded against LPO-2025-0377; the manager never uploaded.
    assert by_label(upload_page(Role.SALES).selectbox, "LPO").value == "LPO-2025-0377"
    assert by_label(upload_page(Role.MANAGER).selectbox, "LPO").value == LPO  # 0377 has nothing left


def test_one_button_per_label(demo: api.Ledger) -> None:
    at = upload_page()
    labels = [b.label for b in at.button]
    assert "Upload tag sheet" in labels and "Upload" not in labels


def test_the_sheets_net_area_fills_the_area_unless_one_was_typed(demo: api.Ledger) -> None:
    lines = cut_export_lines(5, seed=41)
    stated = sum(Decimal(str(line["net_area_m2"])) for line in lines if line["net_area_m2"] != "")
    at = upload_page()
    choose_file(at, "stated.csv", csv_bytes(lines))
    assert by_label(at.number_input, "Required area (m2)").value == float(stated)
    assert f"From the sheet: {stated:,.2f} m2 net area (5 lines)" in texts(at)
    # Another sheet replaces the offer; a typed figure stays.
    other = cut_export_lines(4, seed=42)
    choose_file(at, "other.csv", csv_bytes(other))
    assert by_label(at.number_input, "Required area (m2)").value != float(stated)
    by_label(at.number_input, "Required area (m2)").set_value(7.25).run()
    choose_file(at, "third.csv", csv_bytes(cut_export_lines(3, seed=43)))
    assert by_label(at.number_input, "Required area (m2)").value == 7.25


def test_the_balance_shown_is_the_one_the_upload_left(demo: api.Ledger) -> None:
    at = upload_page()
    by_label(at.selectbox, "LPO").set_value(LPO).run()
    before = balance_caption(at, LPO)
    by_label(at.number_input, "Required area (m2)").set_value(10.0)
    choose_file(at, "nest.csv", csv_bytes(cut_export_lines(3, seed=44)))
    send(at)
    assert any("uploaded: 3 lines" in unescape(s.value) for s in at.success), texts(at)
    left = next(b for b in api.list_lpos(demo, actor=api.CLI_OPERATOR) if b.lpo_id == LPO).remaining_m2
    after = balance_caption(at, LPO)
    assert after != before and f"{left:,.2f} m2 left of" in after


def test_a_form_sent_twice_says_already_uploaded_at_the_time(demo: api.Ledger) -> None:
    at = upload_page()
    by_label(at.selectbox, "LPO").set_value(LPO).run()
    by_label(at.number_input, "Required area (m2)").set_value(2.0)
    choose_file(at, "twice.csv", csv_bytes(cut_export_lines(3, seed=45)))
    send(at)
    first: api.IngestResult = at.session_state["last_upload"]
    assert first.status is api.IngestStatus.UPLOADED and first.tag_id
    # A double click: the second press carries the first press's request id (its run was cut short
    # before the answer was shown).
    shown = first.answered_at.astimezone(demo.settings.zone)
    fingerprint = "|".join(
        str(part) for part in (at.session_state["upload-file"].file_id, LPO, 2.0, api.business_today(demo))
    )
    at.session_state["_request_ids_upload"] = {fingerprint: first.client_request_id}
    send(at)
    replay = [unescape(i.value).replace("**", "") for i in at.info]
    assert any(f"Already uploaded as {first.tag_id} at {shown:%H:%M}" in i for i in replay), texts(at)
    assert api.list_tags(demo, actor=api.CLI_OPERATOR, lpo_id=LPO).total == 2  # the demo's one and this
    # Pressed again once the answer was shown: a new request, and the engine says it has the sheet.
    send(at)
    assert any(
        f"already uploaded for {LPO} as {first.tag_id} at {shown:%H:%M}" in unescape(w.value)
        for w in at.warning
    ), texts(at)


def test_no_http_codes_in_upload_messages(demo: api.Ledger) -> None:
    at = upload_page()
    by_label(at.selectbox, "LPO").set_value("LPO-2025-0391").run()  # on hold
    by_label(at.number_input, "Required area (m2)").set_value(1.0)
    choose_file(at, "hold.csv", csv_bytes(cut_export_lines(2, seed=46)))
    send(at)
    shown = texts(at)
    assert "is stored as BLOCKED: LPO LPO-2025-0391 is on hold" in shown
    words = re.sub(r"`[^`]*`", "", shown)  # trace ids and hashes are random: "422" may be in one
    for code in ("409", "422", "Duplicate (", "Blocked ("):
        assert code not in words


def sales_actor() -> api.Actor:
    return api.Actor(email="sales@demo.local", roles=frozenset({Role.SALES}), source=api.Source.CONSOLE)


def fresh_tag(demo: api.Ledger, *, seed: int) -> str:
    request = api.IngestRequest(
        lpo_id=LPO,
        required_area_m2=Decimal("1.5"),
        requested_delivery_date=api.business_today(demo),
        original_file_name="first.csv",
        content=csv_bytes(cut_export_lines(3, seed=seed)),
    )
    result = api.ingest_tag(demo, request, actor=sales_actor())
    assert result.tag_id, result
    return result.tag_id


def open_tag_page(at: AppTest) -> AppTest:
    at.switch_page("../pages/tags.py").run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Only the open tab's content is rendered (the tabs rerun the page when switched)."""
    at.session_state["tag-tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def test_only_the_open_tab_is_read(demo: api.Ledger) -> None:
    at = open_tag_page(as_role(Role.SALES))
    assert not [b for b in at.button if b.label == "Replace sheet"]
    assert any("Description" in d.value.columns for d in at.dataframe)  # the lines
    open_tab(at, "Audit trail")
    frames = [d.value for d in at.dataframe]
    assert any("Action" in f.columns for f in frames) and not any("Description" in f.columns for f in frames)


def test_after_a_replace_the_header_versions_and_download_show_the_new_version(demo: api.Ledger) -> None:
    tag_id = fresh_tag(demo, seed=60)
    at = as_role(Role.SALES)
    at.switch_page("../pages/tags.py").run()
    by_label(at.selectbox, "Open tag").set_value(tag_id).run()
    assert any("version 1" in unescape(c.value) for c in at.caption)
    open_tab(at, "File and versions")
    by_label(at.file_uploader, "Corrected cut export").upload(
        "second.csv", csv_bytes(cut_export_lines(5, seed=61)), "text/csv"
    )
    by_label(at.text_input, "Reason").input("corrected widths")
    by_label(at.button, "Replace sheet").click().run()
    assert not at.exception, at.exception
    assert at.success, texts(at)
    caption = next(unescape(c.value) for c in at.caption if unescape(c.value).startswith("Uploaded by"))
    assert "file second.csv · version 2" in caption, caption
    assert "(Asia/Dubai)" in caption and "UTC" not in caption
    assert [m.value for m in at.metric if m.label == "Lines"] == ["5"]
    downloads = [getattr(b, "label", None) or b.proto.label for b in at.get("download_button")]
    assert "Download second.csv (version 2)" in [unescape(d) for d in downloads], downloads
    versions = next(d.value for d in at.dataframe if "Version" in d.value.columns)
    assert list(versions["Version"]) == [2, 1]
    assert list(versions["Reason"]) == ["corrected widths", ""]  # empty, not "None"
    tags = next(d.value for d in at.dataframe if "Tag" in d.value.columns and "File" in d.value.columns)
    assert tags.loc[tags["Tag"] == tag_id, "File"].item() == "second.csv"
    assert tags.loc[tags["Tag"] == tag_id, "Lines"].item() == 5


def test_a_replace_without_a_reason_says_so_in_the_forms_words(demo: api.Ledger) -> None:
    tag_id = fresh_tag(demo, seed=62)
    at = as_role(Role.SALES)
    at.switch_page("../pages/tags.py").run()
    by_label(at.selectbox, "Open tag").set_value(tag_id).run()
    open_tab(at, "File and versions")
    by_label(at.file_uploader, "Corrected cut export").upload(
        "again.csv", csv_bytes(cut_export_lines(4, seed=63)), "text/csv"
    )
    by_label(at.text_input, "Reason").input("x")
    by_label(at.button, "Replace sheet").click().run()
    shown = texts(at)
    assert "reason" in shown.lower() and "String should" not in shown and "reason String" not in shown, shown


def lpo_page() -> AppTest:
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/lpos.py").run()
    assert not at.exception, at.exception
    return at


def import_lpo_file(at: AppTest, content: bytes) -> AppTest:
    by_label(at.file_uploader, "LPO master CSV").upload("lpos.csv", content, "text/csv")
    by_label(at.button, "Import LPOs").click().run()
    assert not at.exception, at.exception
    return at


def test_an_lpo_import_shows_in_the_table_at_once(demo: api.Ledger) -> None:
    at = lpo_page()
    import_lpo_file(at, b"lpo_id,customer,po_quantity_m2,status\nLPO-NEW-7,New customer,250,ACTIVE\n")
    assert any("1 created" in s.value for s in at.success), texts(at)
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["LPO", "Customer", "Status", "Used"]
    assert "LPO-NEW-7" in set(table["LPO"])


def test_an_lpo_file_with_the_wrong_columns_says_so_in_one_line(demo: api.Ledger) -> None:
    at = lpo_page()
    rows = b"".join(b"M-%d,%d,kg\n" % (n, n) for n in range(30))
    import_lpo_file(at, b"material,qty,unit\n" + rows)
    warnings = [unescape(w.value) for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith("This is not an LPO master file"), warnings
    assert "row " not in warnings[0]


def test_a_blocked_tag_says_why(demo: api.Ledger) -> None:
    blocked = api.list_tags(demo, actor=api.CLI_OPERATOR, status=api.TagStatus.BLOCKED).items
    assert blocked
    at = as_role(Role.SALES)
    at.switch_page("../pages/tags.py").run()
    by_label(at.selectbox, "Open tag").set_value(blocked[0].tag_id).run()
    assert not at.exception, at.exception
    reasons = [unescape(e.value) for e in at.error]
    assert any(r.startswith("Blocked: LPO LPO-2025-0") for r in reasons), reasons


def test_the_delivery_date_starts_on_the_business_day(demo: api.Ledger) -> None:
    at = upload_page()
    # The suite's pinned business day (Dubai), not the machine's own date.
    assert by_label(at.date_input, "Requested delivery date").value == TODAY == api.business_today(demo)


def test_a_replace_sent_twice_says_so(demo: api.Ledger) -> None:
    tag_id = fresh_tag(demo, seed=64)
    at = open_tag_page(as_role(Role.SALES))
    by_label(at.selectbox, "Open tag").set_value(tag_id).run()
    open_tab(at, "File and versions")
    uploader = by_label(at.file_uploader, "Corrected cut export")
    uploader.upload("fixed.csv", csv_bytes(cut_export_lines(4, seed=65)), "text/csv")
    by_label(at.text_input, "Reason").input("corrected widths")
    by_label(at.button, "Replace sheet").click().run()
    assert at.success and not at.info, texts(at)
    # A double click: the second press carries the first press's request id.
    trail = api.search_audit(demo, actor=api.CLI_OPERATOR, entity_id=tag_id).items
    request_id = next(a.client_request_id for a in trail if a.action == "TAG_REPLACED")
    file_id = by_label(at.file_uploader, "Corrected cut export").value.file_id
    at.session_state["_request_ids_replace"] = {f"{file_id}|{tag_id}|corrected widths": request_id}
    by_label(at.button, "Replace sheet").click().run()
    assert any(unescape(i.value).startswith("Already replaced at ") for i in at.info), texts(at)
    assert api.show_tag(demo, tag_id, actor=api.CLI_OPERATOR).tag.version == 2


def test_a_sheet_that_cannot_be_read_is_said_before_the_upload(demo: api.Ledger) -> None:
    at = upload_page()
    choose_file(at, "header-only.csv", b"nesting_description,qty,unit\n")
    assert any(unescape(w.value).startswith("This file cannot be used as it is: ") for w in at.warning), (
        texts(at)
    )


def test_a_filter_matching_no_tag_says_so(demo: api.Ledger) -> None:
    at = open_tag_page(as_role(Role.SALES))
    by_label(at.selectbox, "Status").set_value(api.TagStatus.CANCELLED).run()
    assert not at.exception, at.exception
    assert any(i.value == "No tags match." for i in at.info), texts(at)
