"""The deterministic mapping decision (DOMAIN "Material mapping" steps 1–4), pure and in memory.

``lookup`` decides one line, ``lookup_batch`` many: lines that share a description and a scope
context share one decision, so a batch costs one dictionary probe per distinct key plus the unit
conversion per line. Nothing here writes; ``apply`` records the decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from engine.mapping.master import MasterData
from engine.mapping.normalise import normalise_description
from engine.units.convert import Conversion, UnitError, to_canonical
from engine.vocab import MappingDecision, MappingStatus, OverrideScope


@dataclass(frozen=True, slots=True, kw_only=True)
class LineInput:
    """One line to map: its description and quantity, the LPO context that scopes overrides, and the
    day overrides must be in effect on (a tag's delivery date; a lookup's date, by default today in
    the business time zone: there is no "any date").
    A plain dataclass: a batch builds one per line, and the boundary models validated the values."""

    description: str
    qty: Decimal
    uom: str
    on_date: date
    lpo_id: str | None = None
    project_id: str | None = None
    plant_id: str | None = None
    customer: str | None = None
    sheet_width_mm: Decimal | None = None
    sheet_length_mm: Decimal | None = None
    ingest_line_id: str | None = None
    tag_id: str | None = None

    def scopes(self) -> tuple[tuple[OverrideScope, str | None], ...]:
        return (
            (OverrideScope.LPO, self.lpo_id),
            (OverrideScope.PROJECT, self.project_id),
            (OverrideScope.PLANT, self.plant_id),
            (OverrideScope.CUSTOMER, self.customer),
        )


@dataclass(frozen=True)
class Decision:
    decision: MappingDecision
    canonical_code: str | None = None
    sap_code: str | None = None
    not_tracked: bool = False
    override_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    line: LineInput
    norm: str
    decision: Decision
    status: MappingStatus
    conversion: Conversion | None
    problem: str | None


REVIEW = Decision(MappingDecision.REVIEW)


def decide(master: MasterData, norm: str, line: LineInput) -> Decision:
    for scope, value in line.scopes():
        if not value:
            continue
        for override in master.overrides.get((norm, scope, value), ()):
            if override.in_effect(line.on_date):
                code = override.canonical_code
                return Decision(
                    MappingDecision.OVERRIDE,
                    code,
                    override.sap_code,
                    code in master.not_tracked_codes,
                    override.override_id,
                )
    row = master.master.get(norm)
    if row is not None:
        return Decision(MappingDecision.AUTO, row.canonical_code, row.default_sap_code, row.not_tracked)
    return REVIEW


def _outcome(master: MasterData, line: LineInput, norm: str, decision: Decision) -> Outcome:
    if decision.decision is MappingDecision.REVIEW or decision.canonical_code is None:
        return Outcome(line, norm, decision, MappingStatus.REVIEW, None, None)
    code = decision.canonical_code
    canonical_uom = master.canonical_uom.get(code)
    try:
        if canonical_uom is None:
            raise UnitError(f"{code} has no canonical unit: add it to the canonical materials or the master.")
        conversion: Conversion | None = to_canonical(
            line.qty,
            line.uom,
            canonical_code=code,
            canonical_uom=canonical_uom,
            sheet_width_mm=line.sheet_width_mm,
            sheet_length_mm=line.sheet_length_mm,
            material_units=master.material_units,
        )
    except UnitError as error:
        if decision.not_tracked:  # mapped, never allocated: a missing unit rule does not matter
            return Outcome(line, norm, decision, MappingStatus.NOT_TRACKED, None, None)
        return Outcome(line, norm, decision, MappingStatus.NO_CONVERSION, None, error.message)
    status = MappingStatus.NOT_TRACKED if decision.not_tracked else MappingStatus.MAPPED
    return Outcome(line, norm, decision, status, conversion, None)


def lookup(master: MasterData, line: LineInput) -> Outcome:
    norm = normalise_description(line.description)
    return _outcome(master, line, norm, decide(master, norm, line))


def lookup_batch(master: MasterData, lines: list[LineInput]) -> list[Outcome]:
    decided: dict[tuple[str, tuple[tuple[OverrideScope, str | None], ...], date], Decision] = {}
    outcomes = []
    for line in lines:
        norm = normalise_description(line.description)
        key = (norm, line.scopes(), line.on_date)
        decision = decided.get(key)
        if decision is None:
            decision = decided[key] = decide(master, norm, line)
        outcomes.append(_outcome(master, line, norm, decision))
    return outcomes
