"""Rendering user text safely in widgets that interpret markdown."""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:@])")


def plain(text: object) -> str:
    """Every markdown character escaped, so a description such as ``<script>`` or
    ``[x](javascript:…)`` shows exactly as typed (Streamlit never renders it as HTML either)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
