"""The console's shell: which pages each role finds in the sidebar and in what order, and what a
page the role may not open says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.app import PAGES, section_order, visible_pages
from console.server import warm_up
from engine import api
from engine.api import Actor, Role
from engine.demo.loader import demo_password

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "console" / "app.py")
SESSION_KEY = "_opsledger_session_id"


def actor(*roles: Role) -> Actor:
    return Actor(email="someone@demo.local", roles=frozenset(roles))


def titles(shown: dict[str, list[tuple[str, str, object, str, str]]]) -> list[str]:
    return [title for pages in shown.values() for _, title, *_ in pages]


def test_admin_finds_every_page() -> None:
    shown = visible_pages(actor(Role.ADMIN))
    assert titles(shown) == [row[2] for row in sorted(PAGES, key=lambda row: list(shown).index(row[0]))]
    assert sorted(titles(shown)) == sorted(title for _, _, title, *_ in PAGES)


@pytest.mark.parametrize("role", list(Role))
def test_overview_first_account_last_and_nothing_forbidden(role: Role) -> None:
    user = actor(role)
    shown = visible_pages(user)
    first, *_, last = shown
    assert (first, last) == ("Overview", "Account")
    allowed = {title for _, _, title, permission, *_ in PAGES if user.can(permission)}
    assert set(titles(shown)) == allowed


def test_own_desks_come_first() -> None:
    assert section_order(actor(Role.STORES))[:3] == ["Overview", "Stores", "Sales"]
    assert section_order(actor(Role.SALES))[:2] == ["Overview", "Sales"]
    assert list(visible_pages(actor(Role.STORES)))[:3] == ["Overview", "Stores", "Sales"]
    # Managers work the sales and logistics desks (both first), then the table's order, Account last.
    assert section_order(actor(Role.MANAGER)) == [
        "Overview", "Sales", "Logistics", "Stores", "Finance", "Ledger", "Admin", "Account"
    ]  # fmt: skip
    assert "Finance" not in visible_pages(actor(Role.MANAGER))  # no finance page is the manager's
    assert list(visible_pages(actor(Role.FINANCE)))[:3] == ["Overview", "Finance", "Logistics"]
    assert "Logistics" not in visible_pages(actor(Role.SALES))


@pytest.mark.parametrize(
    ("page", "role", "needed"),
    [
        ("pages/sales_upload.py", Role.STORES, "Upload tag sheet needs the sales, manager or admin role"),
        ("pages/users.py", Role.SALES, "Users needs the admin role"),
        ("pages/api_keys.py", Role.STORES, "API keys needs the admin role"),
        ("pages/coverage.py", Role.FINANCE, "Coverage needs the stores or admin role"),
    ],
)
def test_a_forbidden_page_names_the_roles_it_needs(
    demo: api.Ledger, page: str, role: Role, needed: str
) -> None:
    email = f"{role.value}@demo.local"
    session = api.sign_in(demo, email=email, password=demo_password(email)).session_id
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state[SESSION_KEY] = session
    at.run()
    assert not at.exception
    errors = [str(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(needed), errors
    assert "Ask an admin for the role." in errors[0]
    assert not at.title and not at.dataframe and not at.button


def test_signed_out_the_console_shows_only_sign_in(demo: api.Ledger) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in to OpsLedger"]


def test_the_page_libraries_are_warmed_up_once_per_process() -> None:
    warm_up()
    assert {"plotly.express", "jinja2"} <= set(sys.modules)
