"""The desk pages under AppTest: users round trip, the exception queue, desk homes and their inbox,
operations and audit."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from console.widgets import local_time
from engine import api
from engine.vocab import ExceptionAction, ExceptionKind, Role
from tests.console.test_pages import as_role, by_label, texts, unescape


def users_page() -> AppTest:
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/users.py").run()
    assert not at.exception, at.exception
    return at


def pick_user(at: AppTest, email: str) -> AppTest:
    by_label(at.selectbox, "User").set_value(email).run()
    assert not at.exception, at.exception
    return at


def form_state(at: AppTest) -> tuple[list[str], bool]:
    return sorted(str(r) for r in by_label(at.multiselect, "Roles").value), by_label(
        at.checkbox, "Active"
    ).value


def test_change_roles_shows_the_picked_users_state_and_saves_exactly_that(demo: api.Ledger) -> None:
    at = pick_user(users_page(), "stores@demo.local")
    assert form_state(at) == (["stores"], True)
    by_label(at.multiselect, "Roles").set_value([Role.STORES, Role.SALES])
    by_label(at.checkbox, "Active").uncheck()
    by_label(at.button, "Save").click().run()
    assert not at.exception, at.exception
    assert [unescape(s.value) for s in at.success] == [
        "Saved stores@demo.local: roles sales, stores; inactive."
    ]
    stored = next(u for u in api.list_users(demo, actor=api.CLI_OPERATOR) if u.email == "stores@demo.local")
    assert (sorted(stored.roles), stored.active) == (["sales", "stores"], False)
    # The table re-read the store; another user shows their own state, and coming back shows the save.
    table = at.dataframe[0].value.set_index("E-mail")
    assert table.loc["stores@demo.local", "Roles"] == "sales, stores"
    assert not table.loc["stores@demo.local", "Active"]
    pick_user(at, "finance@demo.local")
    assert form_state(at) == (["finance"], True)
    pick_user(at, "stores@demo.local")
    assert form_state(at) == (["sales", "stores"], False)
    # The message does not linger on the next action.
    assert not at.success


def test_a_new_user_is_in_the_table_and_picked_at_once(demo: api.Ledger) -> None:
    at = users_page()
    by_label(at.text_input, "E-mail").input("new.person@demo.local")
    at.multiselect(key="new-roles").set_value([Role.FINANCE])
    by_label(at.button, "Add").click().run()
    assert not at.exception, at.exception
    assert [unescape(s.value) for s in at.success] == ["Added new.person@demo.local: roles finance."]
    assert "new.person@demo.local" in list(at.dataframe[0].value["E-mail"])
    assert by_label(at.selectbox, "User").value == "new.person@demo.local"
    assert form_state(at) == (["finance"], True)


def test_the_users_page_refuses_what_the_engine_refuses_in_words(demo: api.Ledger) -> None:
    at = pick_user(users_page(), "admin@demo.local")
    by_label(at.checkbox, "Active").uncheck()
    by_label(at.button, "Save").click().run()
    assert "You cannot deactivate yourself." in texts(at)
    stored = next(u for u in api.list_users(demo, actor=api.CLI_OPERATOR) if u.email == "admin@demo.local")
    assert stored.active


def open_exceptions(demo: api.Ledger, role: Role, kind: ExceptionKind) -> tuple[AppTest, str]:
    at = as_role(role)
    wanted = api.list_exceptions(demo, actor=api.CLI_OPERATOR, kind=kind, open_only=True).items[-1]
    at.query_params["exception"] = wanted.exception_id
    at.switch_page("../pages/exceptions.py").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith(wanted.exception_id)
    return at, wanted.exception_id


def test_an_acted_on_exception_stays_open_with_its_confirmation(demo: api.Ledger) -> None:
    at, exception_id = open_exceptions(demo, Role.SALES, ExceptionKind.DUPLICATE_UPLOAD)
    at.radio[0].set_value(ExceptionAction.RESOLVE)
    by_label(at.button, "Apply").click().run()
    # The form's own words, no field names or codes.
    assert f"Say why you resolve {exception_id}, in the notes." in texts(at)
    at.radio[0].set_value(ExceptionAction.DISMISS)
    by_label(at.text_area, "Notes").input("Uploaded twice by mistake; the first tag stands.")
    by_label(at.button, "Apply").click().run()
    assert not at.exception, at.exception
    # Dismissed, so no longer in the "open" list: still the exception on screen, with what happened.
    assert [unescape(s.value) for s in at.success] == [f"{exception_id} is now DISMISSED."]
    assert at.subheader[0].value == f"{exception_id} · DUPLICATE_UPLOAD · DISMISSED"
    assert by_label(at.selectbox, "Open exception").value == exception_id
    assert not [b for b in at.button if b.label == "Apply"]


def test_the_full_message_is_shown_as_text(demo: api.Ledger) -> None:
    at, exception_id = open_exceptions(demo, Role.STORES, ExceptionKind.INSUFFICIENT_STOCK)
    message = api.get_exception(demo, exception_id, actor=api.CLI_OPERATOR).message
    assert message in texts(at)
    assert " UTC" not in texts(at)


SALES = api.Actor(email="sales@demo.local", roles=frozenset({Role.SALES}))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def links(at: AppTest) -> list[str]:
    return [link.label for link in at.get("page_link")]


def test_the_sales_home(demo: api.Ledger) -> None:
    at = as_role(Role.SALES)
    assert [s.value for s in at.subheader] == ["Sales: today", "Exception queue", "Inbox"]
    shown = metrics(at)
    assert shown["My uploads today"] == "4" and shown["My blocked tags"] == "2"
    assert shown["LPOs ≥ 90% committed"] == "1"
    for tag in api.sales_morning(demo, actor=SALES).blocked:
        assert tag.reason in texts(at) and f"Open {tag.exception_id}" in links(at)
    # The inbox: the sales desk's own notifications, each linking to its exception, times in Dubai.
    inbox = api.list_inbox(demo, actor=SALES)
    assert inbox and all(f"Open {m.exception_id}" in links(at) for m in inbox)
    assert " UTC" not in texts(at)
    assert {"Upload a tag sheet", "LPO balances"} <= set(links(at))


def test_the_stores_home(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    assert [s.value for s in at.subheader] == ["Stores: today", "Exception queue", "Inbox"]
    shown = metrics(at)
    assert re.fullmatch(r"\d+h \d\dm|\d+m", shown["T-1 cut-off in"]) and shown["In mapping review"] == "3"
    assert shown["Open shortages"] == "2" and shown["Snapshot age"].endswith(("day", "days"))
    assert [shown[label] for label in shown if label.startswith("Tags due ")] == ["1"]
    assert re.search(r"The cut-off at \d{4}-\d\d-\d\d 16:00 allocates 1 tag\(s\), 16 line\(s\)", texts(at))
    assert "Oldest in review: 'aluminum tape'" in texts(at)
    assert {"Mapping review", "Stock snapshot", "Allocation"} <= set(links(at))
    assert len([label for label in links(at) if label.startswith("Open EX-")]) == 2


def test_the_admin_home_and_a_managers_inbox(demo: api.Ledger) -> None:
    at = as_role(Role.ADMIN)
    assert [s.value for s in at.subheader] == ["Admin: today", "Exception queue", "Inbox"]
    assert metrics(at)["Failed job runs"] == "0"
    assert "Demo data is on: 5 demo account(s)" in texts(at)
    assert {"Operations", "Users"} <= set(links(at))
    # Sales notifications are the sales desk's: not in the admin's or the manager's inbox.
    assert "No notifications for your desks." in texts(at)
    at = as_role(Role.MANAGER)
    assert [s.value for s in at.subheader] == ["Exception queue", "Inbox"]
    assert "No notifications for your desks." in texts(at)
    assert not at.exception


def test_operations_and_audit_speak_the_business_zone(demo: api.Ledger) -> None:
    api.run_job(demo, "sla_escalation", actor=api.CLI_OPERATOR)
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/operations.py").run()
    assert not at.exception, at.exception
    checks = at.dataframe[0].value
    assert list(checks.columns) == ["Check", "OK", "Detail"]
    runs = at.dataframe[-1].value
    assert list(runs.columns)[:4] == ["Job", "Status", "Started", "Finished"]
    started = api.list_job_runs(demo, actor=api.CLI_OPERATOR).items[0].started_at
    assert runs["Started"][0] == local_time(started, demo.settings.zone)
    assert "escalated 0" in runs["Counts"][0] and "None" not in runs.to_string()
    assert " UTC" not in texts(at)
    at.query_params["trace"] = api.list_job_runs(demo, actor=api.CLI_OPERATOR).items[0].trace_id
    at.switch_page("../pages/audit.py").run()
    assert not at.exception, at.exception


def test_a_refused_new_user_keeps_what_was_typed(demo: api.Ledger) -> None:
    at = users_page()
    by_label(at.text_input, "E-mail").input("not-an-address")
    at.multiselect(key="new-roles").set_value([Role.SALES])
    by_label(at.button, "Add").click().run()
    assert "'not-an-address' is not an e-mail address." in texts(at)
    assert by_label(at.text_input, "E-mail").value == "not-an-address"
    by_label(at.text_input, "E-mail").input("typed.again@demo.local")
    by_label(at.button, "Add").click().run()
    assert "Added typed.again@demo.local: roles sales." in texts(at)
    assert by_label(at.text_input, "E-mail").value == "" and at.multiselect(key="new-roles").value == []
