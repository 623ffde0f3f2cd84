"""A bill seen before is answered from its SHA-256 claim only when it is offered for the same
carrier and account; the same bytes for another account are read and refused by the contract."""

from __future__ import annotations

from engine import api
from engine.demo.carriers import ACCOUNT, FedexRow, fedex_csv


def test_the_same_bytes_are_skipped_for_their_account_and_rejected_for_another(ledger: api.Ledger) -> None:
    bill = fedex_csv(
        [FedexRow(invoice="966000001", date="20261109", tracking="796600000001", freight="8.00")]
    )
    first = api.ingest_carrier_file(
        ledger, bill, "b.csv", carrier="fedex", account=ACCOUNT, actor=api.CLI_OPERATOR
    )
    assert str(first.status) == "loaded"
    again = api.ingest_carrier_file(
        ledger, bill, "b.csv", carrier="fedex", account=f"00{ACCOUNT}", actor=api.CLI_OPERATOR
    )
    assert str(again.status) == "skipped"  # leading zeros are the same account
    other = api.ingest_carrier_file(
        ledger, bill, "b.csv", carrier="fedex", account="000000042", actor=api.CLI_OPERATOR
    )
    assert str(other.status) == "rejected" and other.exception_id
