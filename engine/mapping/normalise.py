"""DOMAIN "Material mapping" step 1."""

from __future__ import annotations

import unicodedata


def normalise_description(text: str) -> str:
    """Trim, lower-case, collapse inner white space; nothing else is removed (Unicode composed, so
    'Ø' typed two ways is one description)."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())
