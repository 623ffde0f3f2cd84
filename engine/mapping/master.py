"""Master data in memory: material master, overrides, canonical units, SKUs, brand maps, material
units — loaded together, used by every lookup, and reloaded when a mapping table changes.

Every transaction that changes a mapping table bumps the ``mapping`` counter in ``app_state``.
Writers in this process invalidate the cache after they commit; other processes (on a server
database) compare the counter at most every ``check_seconds``, so they see a change within that
bound.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.clock import utcnow
from engine.store.gateway import Database
from engine.store.schema import (
    app_state,
    canonical_material,
    lpo_master,
    lpo_material_brand_map,
    mapping_override,
    material_master,
    material_uom_conversion,
    sap_material,
)
from engine.vocab import OverrideScope

COUNTER = "mapping"


@dataclass(frozen=True)
class MasterRow:
    description: str
    canonical_code: str
    default_sap_code: str | None
    uom: str
    not_tracked: bool


@dataclass(frozen=True)
class OverrideRow:
    override_id: str
    scope_type: OverrideScope
    scope_value: str
    description: str
    canonical_code: str
    sap_code: str | None
    effective_from: date | None
    effective_to: date | None

    def in_effect(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


@dataclass(frozen=True)
class Sku:
    sap_code: str
    canonical_code: str
    sap_uom: str
    factor: Decimal  # canonical units in one SAP unit
    whole_units: bool
    description: str | None
    brand: str | None


@dataclass
class MasterData:
    version: int = 0
    master: dict[str, MasterRow] = field(default_factory=dict)
    overrides: dict[tuple[str, str, str], list[OverrideRow]] = field(default_factory=dict)
    canonical_uom: dict[str, str] = field(default_factory=dict)
    not_tracked_codes: frozenset[str] = frozenset()
    skus: dict[str, Sku] = field(default_factory=dict)
    brand: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)
    # Canonical code → the SKU allocated when neither a brand map nor the mapping names one.
    default_sku: dict[str, str] = field(default_factory=dict)
    material_units: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    # LPO → (project, plant, customer): the context that scopes overrides, so a lookup that names
    # only the LPO needs no query.
    lpo_context: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> MasterData:
        data = cls(version=read_version(conn))
        for row in conn.execute(sa.select(material_master).where(material_master.c.active.is_(True))):
            data.master[row.nesting_description] = MasterRow(
                row.nesting_description, row.canonical_code, row.default_sap_code, row.uom, row.not_tracked
            )
        data.not_tracked_codes = frozenset(r.canonical_code for r in data.master.values() if r.not_tracked)
        grouped: dict[tuple[str, str, str], list[OverrideRow]] = defaultdict(list)
        for row in conn.execute(sa.select(mapping_override).where(mapping_override.c.active.is_(True))):
            scope = OverrideScope(row.scope_type)
            grouped[(row.nesting_description, scope, row.scope_value)].append(
                OverrideRow(
                    row.override_id,
                    scope,
                    row.scope_value,
                    row.nesting_description,
                    row.canonical_code,
                    row.sap_code,
                    row.effective_from,
                    row.effective_to,
                )
            )
        # Several windows for one scope cannot overlap (import refuses it); newest window first.
        data.overrides = {
            k: sorted(v, key=lambda o: o.effective_from or date.min, reverse=True) for k, v in grouped.items()
        }
        defaults: dict[str, str | None] = {}
        for row in conn.execute(
            sa.select(
                canonical_material.c.canonical_code,
                canonical_material.c.canonical_uom,
                canonical_material.c.default_sap_code,
            )
        ):
            data.canonical_uom[row.canonical_code] = row.canonical_uom
            defaults[row.canonical_code] = row.default_sap_code
        for row in conn.execute(sa.select(sap_material).where(sap_material.c.active.is_(True))):
            data.skus[row.sap_code] = Sku(
                row.sap_code,
                row.canonical_code,
                row.sap_uom,
                Decimal(row.conversion_to_canonical),
                row.whole_units,
                row.description,
                row.brand,
            )
        brand: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for row in conn.execute(
            sa.select(lpo_material_brand_map).where(lpo_material_brand_map.c.active.is_(True))
        ):
            brand[(row.lpo_id, row.canonical_code)].append((row.priority, row.sap_code))
        data.brand = {k: sorted(v) for k, v in brand.items()}
        data.default_sku = material_defaults(defaults, data.skus)
        for row in conn.execute(sa.select(material_uom_conversion)):
            data.material_units[(row.canonical_code, row.uom)] = Decimal(row.units_per_canonical_unit)
        for row in conn.execute(
            sa.select(
                lpo_master.c.lpo_id, lpo_master.c.project_id, lpo_master.c.plant_id, lpo_master.c.customer
            )
        ):
            data.lpo_context[row.lpo_id] = (row.project_id, row.plant_id, row.customer)
        return data

    def candidates(
        self, lpo_id: str | None, canonical_code: str, mapped_sku: str | None
    ) -> list[tuple[int, Sku]]:
        """SKUs to allocate from, in order (DOMAIN "Allocation" step 1): the LPO's brand map by
        priority; when the LPO has none, the SKU the mapping chose (a scoped override's, else the
        master row's default); when the mapping chose none, the canonical material's default SKU.
        Empty when the material has no SKU at all (a NO_SKU exception, not a shortage)."""
        ranked = self.brand.get((lpo_id or "", canonical_code))
        if ranked:
            return [(priority, self.skus[code]) for priority, code in ranked if code in self.skus]
        for code in (mapped_sku, self.default_sku.get(canonical_code)):
            if code and code in self.skus:
                return [(1, self.skus[code])]
        return []


def material_defaults(named: dict[str, str | None], skus: dict[str, Sku]) -> dict[str, str]:
    """Each canonical material's default SKU: the one named on the material, when it is an active
    SKU of that material. Never guessed (not even a material's only SKU): a material without one
    is the stores desk's NO_SKU question, as DOMAIN names no other source."""
    return {
        code: chosen
        for code, chosen in named.items()
        if chosen and chosen in skus and skus[chosen].canonical_code == code
    }


def read_version(conn: Connection) -> int:
    value = conn.execute(sa.select(app_state.c.counter).where(app_state.c.name == COUNTER)).scalar()
    return int(value or 0)


def bump_version(conn: Connection) -> int:
    """Call in every transaction that changes a mapping table."""
    row = conn.execute(
        sa.update(app_state)
        .where(app_state.c.name == COUNTER)
        .values(counter=app_state.c.counter + 1, updated_at=utcnow())
        .returning(app_state.c.counter)
    ).first()
    if row is not None:
        return int(row[0])
    conn.execute(app_state.insert().values(name=COUNTER, counter=1, updated_at=utcnow()))
    return 1


class MasterCache:
    def __init__(self, db: Database, *, check_seconds: float) -> None:
        self.db = db
        self.check_seconds = check_seconds
        self._data: MasterData | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> MasterData:
        with self._lock:
            now = time.monotonic()
            if self._data is not None and now - self._checked < self.check_seconds:
                return self._data
            with self.db.read() as conn:
                if self._data is None or read_version(conn) != self._data.version:
                    self._data = MasterData.load(conn)
            self._checked = now
            return self._data

    def invalidate(self) -> None:
        with self._lock:
            self._data = None


_caches: dict[int, MasterCache] = {}
_caches_guard = threading.Lock()


def cache_for(db: Database, *, check_seconds: float) -> MasterCache:
    with _caches_guard:
        cache = _caches.get(id(db))
        if cache is None or cache.db is not db:
            cache = _caches[id(db)] = MasterCache(db, check_seconds=check_seconds)
        return cache
