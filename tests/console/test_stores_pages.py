"""The stores desk pages under AppTest: what the storeman must choose, sees and keeps (mapping review,
master-data editors and imports, stock per unit, the pick list's gaps)."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from engine import api
from engine.clock import next_working_day
from engine.vocab import Role
from tests.conftest import TODAY
from tests.console.test_pages import as_role, by_label, unescape


def test_no_suggestion_is_chosen_for_the_storeman(demo: api.Ledger) -> None:
    """Two tapes tie at 81.2: one click must not map the first."""
    at = as_role(Role.STORES)
    at.switch_page("../pages/mapping_review.py").run()
    by_label(at.selectbox, "Review").set_value("aluminum tape").run()
    material = by_label(at.selectbox, "Canonical material")
    assert material.value is None
    first, second = material.options[:2]  # the two tied suggestions lead the list, neither chosen
    assert first.startswith("TAPE-AL-50 (") and first.endswith("· suggested")
    assert second.startswith("TAPE-AL-75 (") and second.endswith("· suggested")

    by_label(at.button, "Resolve").click().run()
    assert not at.exception
    assert any("Choose the canonical material first" in str(w.value) for w in at.warning)
    assert not at.success
    assert "aluminum tape" in [i.description for i in api.review_queue(demo, actor=api.CLI_OPERATOR)]

    by_label(at.selectbox, "Canonical material").set_value("TAPE-AL-75")
    by_label(at.button, "Resolve").click().run()
    assert any("aluminum tape → TAPE-AL-75: 1 line(s) mapped." in unescape(s.value) for s in at.success)
    assert "aluminum tape" not in [i.description for i in api.review_queue(demo, actor=api.CLI_OPERATOR)]


def test_the_allocation_page_shows_what_the_pick_list_does_not_cover(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/allocation.py").run()
    assert not at.exception
    assert [s.value for s in at.subheader][-1] == "Not covered by the pick list"
    assert any("line(s) short of stock" in str(w.value) for w in at.warning)
    gaps = at.dataframe[-1].value
    assert list(gaps.columns[:5]) == ["Tag", "#", "Status", "Description", "Missing"]
    assert set(gaps["Status"]) <= {"PARTIAL", "UNALLOCATED", "SKIPPED"} and len(gaps) > 0


def master_page(demo: api.Ledger) -> AppTest:
    at = as_role(Role.STORES)
    at.switch_page("../pages/material_master.py").run()
    assert not at.exception
    return at


def test_the_editor_shows_labels_and_empty_cells(demo: api.Ledger) -> None:
    at = master_page(demo)
    editor = at.dataframe[0]
    labels = {name: config.get("label") for name, config in json.loads(editor.proto.columns).items()}
    assert labels["nesting_description"] == "Nesting description" and labels["uom"] == "Unit"
    assert labels["default_sap_code"] == "Default SAP code" and labels["_index"] == "Row"
    frame = editor.value
    assert list(frame.index[:3]) == [1, 2, 3], "rows numbered as the grid shows them"
    assert "None" not in set(frame["notes"]) and "" in set(frame["notes"])


def test_a_file_of_other_columns_says_so_in_one_line(demo: api.Ledger) -> None:
    at = master_page(demo)
    content = "description,code\n" + "".join(f"panel {n},PNL-PHE-20-8080\n" for n in range(30))
    by_label(at.file_uploader, "Import material master (.csv or .xlsx)").upload(
        "wrong.csv", content.encode(), "text/csv"
    )
    by_label(at.button, "Import").click().run()
    assert not at.exception
    [warning] = [unescape(w.value) for w in at.warning]
    assert warning.startswith("wrong.csv does not have the columns of the material master (missing ")
    assert "found description, code." in warning and "row " not in warning


def edited_master(at: AppTest) -> pd.DataFrame:
    frame = at.dataframe[0].value.copy()
    frame.loc[1, "notes"] = "checked on site"
    return frame


def test_unsaved_changes_are_kept_counted_and_can_be_discarded(demo: api.Ledger) -> None:
    at = master_page(demo)
    assert by_label(at.button, "Save changes").disabled and by_label(at.button, "Discard changes").disabled
    at.session_state["_unsaved_master"] = edited_master(at)  # what the grid held when the user left
    at.switch_page("../pages/allocation.py").run()
    at.switch_page("../pages/material_master.py").run()
    assert any("1 unsaved change(s)" in str(w.value) for w in at.warning)
    assert at.dataframe[0].value.loc[1, "notes"] == "checked on site", "the edit is back in the grid"
    assert by_label(at.button, "Import").disabled

    by_label(at.button, "Discard changes").click().run()
    assert not at.exception and not at.warning
    assert at.dataframe[0].value.loc[1, "notes"] == ""
    assert not by_label(at.button, "Import").disabled


def test_kept_changes_are_saved_with_save(demo: api.Ledger) -> None:
    at = master_page(demo)
    first = at.dataframe[0].value.loc[1, "nesting_description"]
    at.session_state["_unsaved_master"] = edited_master(at)
    at.switch_page("../pages/coverage.py").run()
    at.switch_page("../pages/material_master.py").run()
    by_label(at.button, "Save changes").click().run()
    assert not at.exception
    assert any("0 added, 1 changed" in unescape(s.value) for s in at.success)
    assert not at.warning and at.dataframe[0].value.loc[1, "notes"] == "checked on site"
    stored = api.list_materials(demo, api.Kind.MASTER, actor=api.CLI_OPERATOR)
    assert next(r for r in stored if r["nesting_description"] == first)["notes"] == "checked on site"


def test_the_stock_page_shows_totals_per_unit_never_one_sum(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/stock_snapshot.py").run()
    assert not at.exception
    assert "Unrestricted" not in [m.label for m in at.metric], "no figure adds sheets to rolls"
    per_unit = at.dataframe[0].value
    assert list(per_unit.columns) == ["Unit", "SKUs", "Unrestricted", "Quality inspection", "Blocked"]
    assert {"sheets", "rolls", "pieces"} <= set(per_unit["Unit"])
    assert len(set(per_unit["Unit"])) == len(per_unit), "one row per unit"
    loaded = next(c.value for c in at.caption if str(c.value).startswith("Loaded by"))
    assert "UTC" not in loaded and demo.settings.timezone in loaded, "the business time zone"


def test_coverage_shows_its_figures_as_tables(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/coverage.py").run()
    assert not at.exception
    decisions, days = (frame.value for frame in at.dataframe)
    report = api.coverage(demo, actor=api.CLI_OPERATOR)
    lines = dict(zip(decisions["Decision"], decisions["Lines"], strict=True))
    assert lines["Master (AUTO)"] == report.auto and lines["Waiting review"] == report.waiting_review
    assert list(days["Production date"]) == [str(d.run_date) for d in report.allocation_days]
    assert 0 < days["Success"].iloc[0] <= 1


def test_the_pick_list_files_are_named_for_their_date(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/allocation.py").run()
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["Pick list (.csv)", "Pick list (.pdf)"]
    day = next_working_day(TODAY, demo.settings.working_weekdays)  # the date the demo allocates
    picks = api.pick_list(demo, day, actor=api.CLI_OPERATOR)
    assert picks.file_stem == f"picklist_{day:%Y%m%d}"
    made = api.pick_list_file(demo, day, fmt="pdf", actor=api.CLI_OPERATOR)
    assert made.file_name == f"{picks.file_stem}.pdf"


def test_an_unknown_tag_is_shown_on_the_allocation_page_not_in_a_box(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/allocation.py").run()
    by_label(at.text_input, "Or one tag").input("TAG-123")
    by_label(at.button, "Run allocation").click().run()
    assert not at.exception
    assert "No tag TAG-123." in [unescape(e.value) for e in at.error], "an error, where people look"
    assert not at.get("expandable"), "the progress box is gone once the run failed"


def test_a_row_stored_by_someone_else_is_no_unsaved_change_here(demo: api.Ledger) -> None:
    at = master_page(demo)
    content = "nesting_description,canonical_code,uom\naaa first panel,PNL-PHE-20-8080,m2\n"
    api.import_materials(demo, api.Kind.MASTER, content.encode(), "other.csv", actor=api.CLI_OPERATOR)
    at.run()
    assert not at.exception
    assert not [w for w in at.warning if "unsaved" in str(w.value)]
    assert by_label(at.button, "Save changes").disabled


def test_decimals_read_as_typed_and_save_back_unchanged(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/skus.py").run()
    frame = at.dataframe[0].value
    assert "4.8" in set(frame["conversion_to_canonical"]), "4.8, not 4.800000"
    assert by_label(at.button, "Save changes").disabled, "showing a number differently is no change"


def test_the_same_stock_file_twice_says_it_was_already_loaded(demo: api.Ledger) -> None:
    from tests.conftest import snapshot_csv

    at = as_role(Role.STORES)
    at.switch_page("../pages/stock_snapshot.py").run()
    content = snapshot_csv(TODAY, {"40004030": "9"})
    for _ in range(2):
        by_label(at.file_uploader, "SAP stock snapshot (.csv or .xlsx)").upload("t1.csv", content, "text/csv")
        by_label(at.button, "Load snapshot").click().run()
        assert not at.exception
    assert not at.success
    [info] = [unescape(i.value) for i in at.info if "already loaded" in str(i.value)]
    assert info.startswith(f"t1.csv was already loaded as the snapshot of {TODAY} at ")
    assert info.endswith("by stores@demo.local: nothing changed.")


def test_a_tag_typed_in_lower_case_is_allocated(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/allocation.py").run()
    by_label(at.text_input, "Or one tag").input(f" tag-{TODAY:%Y%m%d}-0001 ")
    by_label(at.button, "Run allocation").click().run()
    assert not at.exception and not [e for e in at.error if "No tag" in str(e.value)]
    assert any("1 tag(s)" in unescape(s.value) for s in at.success)
