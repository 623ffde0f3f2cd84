"""Carrier cost reconciliation (issue 9 §3): bills against WMS shipments, one ledger row per package."""
