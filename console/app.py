"""The console's entry point: ``streamlit run console/app.py``.

Run as the Streamlit script, it only routes: it builds the pages grouped by desk, keeps those the
signed-in user's roles allow, and runs ``st.navigation``. Imported by the server, it is the
``st.App`` that also serves the console's routes and starts the background jobs once per process.
"""

import streamlit as st

from console.server import MIDDLEWARE, ROUTES, lifespan, on_script_error
from engine.api import Permission

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
    ("Ledger", "../pages/exceptions.py", "Exceptions", P.READ_LEDGER, ":material/report:", "exceptions"),
    ("Ledger", "../pages/audit.py", "Audit trail", P.READ_LEDGER, ":material/history:", "audit"),
    ("Admin", "../pages/operations.py", "Operations", P.ADMINISTER, ":material/monitor_heart:", "operations"),
    ("Admin", "../pages/users.py", "Users", P.ADMINISTER, ":material/group:", "users"),
    ("Account", "../pages/account.py", "Your account", P.READ_LEDGER, ":material/key:", "account"),
)
# fmt: on

if __name__ == "__main__":
    from console import signin

    st.set_page_config(page_title="OpsLedger", page_icon=":material/inventory_2:", layout="wide")
    signin.emit_cookie_updates()
    actor = signin.current_actor()
    if actor is None:
        st.navigation([st.Page(signin.render_sign_in, title="Sign in", url_path="signin")]).run()
    else:
        sections: dict[str, list[st.Page]] = {}
        for desk, path, title, permission, icon, url_path in PAGES:
            if actor.can(permission):
                sections.setdefault(desk, []).append(
                    st.Page(path, title=title, icon=icon, url_path=url_path, default=url_path == "home")
                )
        signin.render_account(actor)
        st.navigation(sections).run()
else:
    app = st.App(
        __file__, routes=ROUTES, middleware=MIDDLEWARE, lifespan=lifespan, on_script_error=on_script_error
    )
