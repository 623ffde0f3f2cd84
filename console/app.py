"""The console's entry point: ``streamlit run console/app.py``.

Run as the Streamlit script, it only routes: it builds the pages grouped by desk (the user's own
desks first), shows every page the signed-in user's roles allow, keeps every other address answering
(the sign-in form while signed out, the roles a page needs when the user lacks them), and runs
``st.navigation``. Imported by the server, it is the
``st.App`` that also serves the console's routes and starts the background jobs once per process.
"""

from collections.abc import Callable

import streamlit as st

from console import signin
from console.server import MIDDLEWARE, ROUTES, lifespan, on_script_error
from console.widgets import page_setup
from engine.api import Actor, Desk, Permission

# (desk, page file, title, permission needed, icon, url path): one row per page.
P = Permission
# fmt: off
PAGES = (
    ("Overview", "../pages/home.py", "Home", P.READ_LEDGER, ":material/home:", "home"),
    ("Sales", "../pages/sales_upload.py", "Upload tag sheet", P.UPLOAD_TAGS, ":material/upload_file:", "upload"),
    ("Sales", "../pages/tags.py", "Tags", P.VIEW_TAGS, ":material/sell:", "tags"),
    ("Sales", "../pages/lpos.py", "LPOs", P.VIEW_TAGS, ":material/receipt_long:", "lpos"),
    ("Stores", "../pages/mapping_review.py", "Mapping review", P.WORK_STORES, ":material/rule:", "mapping-review"),
    ("Stores", "../pages/material_master.py", "Material master", P.WORK_STORES, ":material/category:", "master"),
    ("Stores", "../pages/overrides.py", "Overrides", P.WORK_STORES, ":material/alt_route:", "overrides"),
    ("Stores", "../pages/brand_maps.py", "LPO brand maps", P.WORK_STORES, ":material/label:", "brand-maps"),
    ("Stores", "../pages/skus.py", "SKUs", P.WORK_STORES, ":material/inventory:", "skus"),
    ("Stores", "../pages/stock_snapshot.py", "Stock snapshot", P.WORK_STORES, ":material/warehouse:", "stock"),
    ("Stores", "../pages/allocation.py", "Allocation", P.WORK_STORES, ":material/conveyor_belt:", "allocation"),
    ("Stores", "../pages/coverage.py", "Coverage", P.WORK_STORES, ":material/monitoring:", "coverage"),
    ("Finance", "../pages/invoices.py", "Invoices", P.REVIEW_INVOICES, ":material/receipt:", "invoices"),
    ("Finance", "../pages/unknown_vendors.py", "Unknown vendors", P.REVIEW_INVOICES, ":material/person_search:", "unknown-vendors"),
    ("Finance", "../pages/vendors.py", "Vendor master", P.REVIEW_INVOICES, ":material/store:", "vendors"),
    ("Finance", "../pages/mailbox.py", "Mailbox", P.REVIEW_INVOICES, ":material/mail:", "mailbox"),
    ("Logistics", "../pages/carrier_upload.py", "Carrier upload", P.WORK_CARRIERS, ":material/local_shipping:", "carrier-upload"),
    ("Logistics", "../pages/carrier_files.py", "Carrier files", P.WORK_CARRIERS, ":material/folder_open:", "carrier-files"),
    ("Logistics", "../pages/bills.py", "Bills", P.WORK_CARRIERS, ":material/request_quote:", "bills"),
    ("Logistics", "../pages/reconciliation.py", "Reconciliation", P.WORK_CARRIERS, ":material/balance:", "reconciliation"),
    ("Logistics", "../pages/disputes.py", "Disputes", P.WORK_CARRIERS, ":material/gavel:", "disputes"),
    ("Logistics", "../pages/wms_shipments.py", "WMS shipments", P.RECONCILE, ":material/inventory_2:", "wms-shipments"),
    ("Ledger", "../pages/exceptions.py", "Exceptions", P.READ_LEDGER, ":material/report:", "exceptions"),
    ("Ledger", "../pages/audit.py", "Audit trail", P.READ_LEDGER, ":material/history:", "audit"),
    ("Admin", "../pages/operations.py", "Operations", P.ADMINISTER, ":material/monitor_heart:", "operations"),
    ("Admin", "../pages/users.py", "Users", P.ADMINISTER, ":material/group:", "users"),
    ("Admin", "../pages/api_keys.py", "API keys", P.ADMINISTER, ":material/vpn_key:", "api-keys"),
    ("Admin", "../pages/recon_settings.py", "Reconciliation settings", P.ADMINISTER, ":material/tune:", "recon-settings"),
    ("Account", "../pages/account.py", "Your account", P.READ_LEDGER, ":material/key:", "account"),
)
# fmt: on

# The desk each desk-named section serves: a user's own desks come first in the sidebar.
DESK_SECTIONS = {
    Desk.SALES: "Sales",
    Desk.STORES: "Stores",
    Desk.FINANCE: "Finance",
    Desk.LOGISTICS: "Logistics",
}
FIRST, LAST = "Overview", "Account"
# A constant stylesheet (never user text). Streamlit leaves a 6rem band above the first element for
# its toolbar, which is only 3.75rem high: the page title starts just below the toolbar. The 1x1
# images that make the browser fetch the cookie routes (signin.emit_cookie_updates) take no row
# (a hidden image is still fetched).
STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
[data-testid="stElementContainer"]:has(img[src^="/api/session/"]) { display: none; }
</style>"""


def section_order(actor: Actor) -> list[str]:
    """The sidebar's sections for ``actor``: Overview first, then the desks the user works, then
    the rest in the table's order, Account last."""
    in_table = list(dict.fromkeys(desk for desk, *_ in PAGES))
    own = [DESK_SECTIONS[desk] for desk in actor.desks() if DESK_SECTIONS.get(desk) in in_table]
    middle = own + [s for s in in_table if s not in own and s not in (FIRST, LAST)]
    return [s for s in (FIRST, *middle, LAST) if s in in_table]


def visible_pages(actor: Actor) -> dict[str, list[tuple[str, str, Permission, str, str]]]:
    """The pages ``actor`` may open, grouped and ordered as the sidebar shows them."""
    grouped: dict[str, list[tuple[str, str, Permission, str, str]]] = {s: [] for s in section_order(actor)}
    for desk, path, title, permission, icon, url_path in PAGES:
        if actor.can(permission):
            grouped[desk].append((path, title, permission, icon, url_path))
    return {section: pages for section, pages in grouped.items() if pages}


def _refusal(title: str, permission: Permission) -> Callable[[], None]:
    """A page the role may not open, reached by its address: it says which roles it needs."""

    def refuse() -> None:
        page_setup(title, permission)

    refuse.__name__ = f"refuse_{title}"
    return refuse


def route(actor: Actor | None) -> st.Page:
    """The pages of this run. Every address in the table is known, whoever is signed in: signed out,
    each one shows the sign-in form (and, once signed in, the same address shows the page); signed
    in, a page the role may not open is a hidden page that says which roles it needs."""
    if actor is None:
        hidden = [
            st.Page(signin.render_sign_in, title=title, url_path=url_path, visibility="hidden")
            for _, _, title, _, _, url_path in PAGES
        ]
        sign_in = st.Page(signin.render_sign_in, title="Sign in", url_path="signin", default=True)
        return st.navigation([sign_in, *hidden], position="hidden")
    sections: dict[str, list[st.Page]] = {}
    for section, pages in visible_pages(actor).items():
        sections[section] = [
            st.Page(path, title=title, icon=icon, url_path=url_path, default=url_path == "home")
            for path, title, _, icon, url_path in pages
        ]
    refused = [
        st.Page(_refusal(title, permission), title=title, url_path=url_path, visibility="hidden")
        for _, _, title, permission, _, url_path in PAGES
        if not actor.can(permission)
    ]
    if refused:
        sections[LAST] = sections.get(LAST, []) + refused
    return st.navigation(sections, expanded=True)


if __name__ == "__main__":
    st.set_page_config(page_title="OpsLedger", page_icon=":material/inventory_2:", layout="wide")
    st.html(STYLE)
    signin.emit_cookie_updates()
    actor = signin.current_actor()
    if actor is None:
        route(actor).run()
    else:
        signin.render_account(actor)
        page = route(actor)
        with signin.routed(actor):
            page.run()
else:
    app = st.App(
        __file__, routes=ROUTES, middleware=MIDDLEWARE, lifespan=lifespan, on_script_error=on_script_error
    )
