"""The API keys page's parts: the keys as a table with each key's state, the keys that may still be
revoked, and a new key shown the one time it exists in the clear."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import PageContext
from engine.api import ApiKeyView, KeyState, NewApiKey


def live_keys(keys: Sequence[ApiKeyView]) -> dict[str, str]:
    """The keys still working, by key id, labelled for a picker: only those are worth revoking."""
    return {
        k.key_id: f"{k.name} · {', '.join(k.roles)} · {k.key_id}" for k in keys if k.state is KeyState.ACTIVE
    }


def keys_table(ctx: PageContext, keys: Sequence[ApiKeyView]) -> None:
    if not keys:
        st.info("No API keys yet. Create one below for each integration.", icon=":material/key:")
        return
    frame = pd.DataFrame(
        [
            {
                "Name": k.name,
                "Roles": ", ".join(k.roles),
                "Status": str(k.state),
                "Created by": k.created_by,
                "Created": ctx.when(k.created_at),
                "Expires": k.expires.isoformat() if k.expires else "never",
                "Last used": ctx.when(k.last_used_at) or "never",
                "Revoked": " by ".join(filter(None, [ctx.when(k.revoked_at), k.revoked_by or ""])),
                "Key id": k.key_id,
            }
            for k in keys
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Created": st.column_config.TextColumn(f"Created ({ctx.zone_name})"),
            "Expires": st.column_config.TextColumn(help="the key stops working on this day"),
            "Last used": st.column_config.TextColumn(f"Last used ({ctx.zone_name})", help="to the minute"),
            "Revoked": st.column_config.TextColumn(f"Revoked ({ctx.zone_name})"),
        },
    )


def show_new_key(new: NewApiKey) -> None:
    """The key in full, once: only its digest is stored, so it cannot be shown again."""
    with st.container(border=True):
        expiry = f"expires {new.expires.isoformat()}" if new.expires else "no expiry"
        st.success(
            plain(f"Created the key {new.name} ({new.key_id}): roles {', '.join(new.roles)}; {expiry}."),
            icon=":material/check_circle:",
        )
        st.warning(
            "Copy this key now: it is not shown again (OpsLedger keeps only a digest of it). "
            "If it is lost, revoke it and create another.",
            icon=":material/content_copy:",
        )
        st.code(new.key, language=None)
        st.caption("The integration sends it with every request as `Authorization: Bearer <key>`.")
