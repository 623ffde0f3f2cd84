"""The dashboard's charts show text from the bills literally: plotly reads a subset of HTML in trace
names, and a charge type or service is the carrier's text, never markup."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from console import dashboard as view
from engine.reconciliation.dashboard import WeeklySpend


def test_a_charge_type_with_markup_is_shown_as_text() -> None:
    points = [
        WeeklySpend(week=date(2026, 11, 2), name='<a href="https://x.test">Fuel</a>', amount=Decimal("5"))
    ]
    figure = view.spend_figure(view.spend_frame(points), "Charge type")
    assert [trace.name for trace in figure.data] == ['&lt;a href="https://x.test"&gt;Fuel&lt;/a&gt;']
