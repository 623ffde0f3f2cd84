"""Operations: health, schema version, where the integration API is described, jobs with their last
runs; run a job now."""

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import call, next_job_runs, page_footer, page_setup, pager
from engine import api
from engine.api import Permission

ctx = page_setup("Operations", Permission.ADMINISTER)


def counts(values: dict[str, int]) -> str:
    """``tags 1 · lines 16`` (empty for none): a run's counts as words."""
    return " · ".join(f"{name.replace('_', ' ')} {value}" for name, value in values.items())


report = call(api.health, ctx.ledger, actor=ctx.actor)
if report is not None:
    if report.exposed_demo_accounts:
        st.error(
            "Demo accounts with published passwords are active while demo data is off: "
            f"{plain(', '.join(report.exposed_demo_accounts))}. Deactivate them on the Users page.",
            icon=":material/gpp_bad:",
        )
    cols = st.columns(3)
    cols[0].metric("Health", "OK" if report.ok else "Attention")
    cols[1].metric("Schema version", f"{report.schema_version} / {report.latest_schema_version}")
    cols[2].metric("Database", report.dialect)
    st.caption(f"{report.database} · data directory {report.data_dir}")
    st.dataframe(
        pd.DataFrame([{"Check": c.name, "OK": c.ok, "Detail": c.detail} for c in report.checks]),
        hide_index=True,
        width="stretch",
        column_config={
            "Check": st.column_config.TextColumn(width="small"),
            "OK": st.column_config.CheckboxColumn(width="small"),
            "Detail": st.column_config.TextColumn(width="large"),
        },
    )

st.subheader("Integration API")
st.markdown(
    "Other systems call OpsLedger under `/api/v1/`; its routes, bodies and answers are in the "
    "[API reference](/api/v1/reference) (OpenAPI document: [/api/v1/openapi.json](/api/v1/openapi.json)). "
    "An integration sends its key with every request as `Authorization: Bearer olk_…`."
)
st.page_link("../pages/api_keys.py", label="Create or revoke API keys", icon=":material/vpn_key:")

st.subheader("Jobs")
scheduled = next_job_runs()
next_runs = scheduled or {}
if scheduled is None:
    st.caption(
        "No scheduler runs in this console process (OPSLEDGER_JOBS_ENABLED=false, or the worker "
        "`python -m jobs` runs them)."
    )
last_runs = call(api.last_job_runs, ctx.ledger, actor=ctx.actor) or {}
for name, title in api.job_catalogue().items():
    last = last_runs.get(name)
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.markdown(f"**{title}** (`{name}`)")
        left.caption(
            f"Next run: {ctx.when(next_runs.get(name)) or '—'} · last: "
            + (f"{last.status} at {ctx.when(last.created_at)} {counts(last.counts)}" if last else "never")
            + f" ({ctx.zone_name})"
        )
        if right.button("Run now", key=f"run-{name}", icon=":material/play_arrow:"):
            result = call(api.run_job, ctx.ledger, name, actor=ctx.actor)
            if result is not None:
                st.toast(f"{name}: {result.status} {result.counts or ''}")
                st.rerun()
page = call(api.list_job_runs, ctx.ledger, actor=ctx.actor, offset=pager("runs", page_size=50), limit=50)
runs = page.items if page else []
if runs:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Job": r.job_name,
                    "Status": str(r.status),
                    "Started": ctx.when(r.started_at),
                    "Finished": ctx.when(r.finished_at),
                    "Trigger": str(r.triggered_by),
                    "Counts": counts(r.counts),
                    "Error": r.error or "",
                    "Trace": r.trace_id,
                    "Host": r.host,
                }
                for r in runs
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Started": st.column_config.TextColumn(f"Started ({ctx.zone_name})"),
            "Finished": st.column_config.TextColumn(f"Finished ({ctx.zone_name})"),
            "Error": st.column_config.TextColumn(width="large"),
        },
    )
if page:
    page_footer("runs", page, noun="runs")
