"""Invoice fields read off an invoice's text: the vendor's own rules first, then the generic label rules
(labels in six languages, INVOICES.md §5) for what is still missing. Pure: no database, no UI."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import dateparser
import yaml
from price_parser import Price

from engine.errors import ValidationError
from engine.invoices.labels import (
    IGNORED,
    LABEL_RES,
    TERMS_RE,
    Label,
    currency_code,
    currency_in,
    normalise_digits,
)
from engine.invoices.models import FIELDS, DateOrder, ExtractedFields, FieldSource, VendorRules

LANGUAGES = ["en", "de", "fr", "nl", "es", "ar"]
# No relative-time ("in 2 days" is not an invoice date) and no timestamp (an invoice number such as
# 1700000000 is not a Unix time).
_PARSERS = ["custom-formats", "absolute-time"]
_DATE_WINDOW = 4  # "3. März 2024" is three tokens; a fourth allows "Monday, 3 March 2024"
_SEPARATORS = " \t:：#-–=|"
_NUMBER_RE = re.compile(r"[^\W_][\w\-/.]*")
# A line below a total label holds the amount when it is nothing else: "€ 1.250,00", "GBP 80.00", "315 AED".
_CURRENCY_MARK = r"(?:[A-Z]{3}|US\$|[€$£]|د\.إ|ر\.س)"
_AMOUNT_LINE_RE = re.compile(rf"{_CURRENCY_MARK}?\s*-?\s*\d[\d.,' ]*?\s*{_CURRENCY_MARK}?")


@dataclass(frozen=True)
class _Readers:
    """How this invoice's values are written: its date order and formats, its decimal separator."""

    date_order: DateOrder
    date_formats: tuple[str, ...]
    decimal_separator: str | None

    def dates(self, text: str) -> Iterator[date]:
        """Every date in a piece of text, left to right (windows of up to four tokens, longest first)."""
        tokens = text.split()
        start = 0
        while start < len(tokens):
            for size in range(min(_DATE_WINDOW, len(tokens) - start), 0, -1):
                found = self._parse_date(" ".join(tokens[start : start + size]))
                if found is not None:
                    yield found
                    start += size
                    break
            else:
                start += 1

    def first_date(self, text: str) -> date | None:
        return next(self.dates(text), None)

    def _parse_date(self, candidate: str) -> date | None:
        if not any(ch.isdigit() for ch in candidate) or candidate.rstrip().endswith(":"):
            return None
        for fmt in self.date_formats:
            try:
                return datetime.strptime(candidate.strip(" ,;"), fmt).date()
            except ValueError:
                continue
        settings = {
            "DATE_ORDER": self.date_order,
            "PREFER_LOCALE_DATE_ORDER": False,
            "PARSERS": _PARSERS,
            "REQUIRE_PARTS": ["day", "month", "year"],
        }
        parsed = dateparser.parse(candidate, languages=LANGUAGES, settings=settings)
        return parsed.date() if parsed is not None else None

    def amount(self, text: str) -> Decimal | None:
        if not any(ch.isdigit() for ch in text):
            return None
        return Price.fromstring(text, decimal_separator=self.decimal_separator).amount

    def number(self, text: str) -> str | None:
        for token in _NUMBER_RE.findall(text):
            token = token.rstrip("./-")
            if any(ch.isdigit() for ch in token) and self._parse_date(token) is None:
                return token
        return None


def extract_fields(
    text: str,
    *,
    rules: VendorRules | None = None,
    date_order: DateOrder = "DMY",
    default_currency: str | None = None,
) -> ExtractedFields:
    """The invoice fields of one invoice's text. A vendor rule that finds its field wins (source
    ``vendor_rule``); the generic label rules fill what is still missing (source ``generic``). Dates
    are read in the vendor's date order when its rules give one, else in ``date_order``."""
    text = normalise_digits(text)
    rules = rules or VendorRules()
    readers = _Readers(
        date_order=rules.date_order or date_order,
        date_formats=tuple(rules.date_formats),
        decimal_separator=rules.decimal_separator,
    )
    values: dict[str, Any] = {}
    sources: dict[str, FieldSource] = {}
    by_vendor = _by_vendor_rules(text, rules, readers)
    by_labels = _by_labels(text, readers)
    for found, source in ((by_vendor, FieldSource.VENDOR_RULE), (by_labels, FieldSource.GENERIC)):
        for name, value in found.items():
            if name not in values:
                values[name], sources[name] = value, source
    if "currency" not in values:
        if rules.default_currency:
            values["currency"], sources["currency"] = rules.default_currency, FieldSource.VENDOR_RULE
        elif default_currency:
            values["currency"], sources["currency"] = default_currency, FieldSource.GENERIC
    return ExtractedFields(**values, sources=sources)


# --- the vendor's own rules --------------------------------------------------------------------------


def _by_vendor_rules(text: str, rules: VendorRules, readers: _Readers) -> dict[str, Any]:
    convert: dict[str, Callable[[str], Any]] = {
        "invoice_number": lambda v: v.strip() or None,
        "invoice_date": readers.first_date,
        "due_date": readers.first_date,
        "total_amount": readers.amount,
        "currency": currency_code,
        "payment_terms": lambda v: v.strip() or None,
    }
    found: dict[str, Any] = {}
    for name in FIELDS:
        pattern = getattr(rules, name)
        if not pattern:
            continue
        match = _compile(pattern, name).search(text)
        if match is None:
            continue
        value = convert[name](_captured(match))
        if value is not None:
            found[name] = value
            currency = currency_in(_line_around(text, match)) if name == "total_amount" else None
            if currency is not None and not rules.currency:
                found.setdefault("currency", currency)
    return found


def _compile(pattern: str, name: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise ValidationError(
            f"The vendor rule for {name} is not a valid regex ({exc}); fix it.", field=name
        ) from exc


def _line_around(text: str, match: re.Match[str]) -> str:
    end = text.find("\n", match.end())
    return text[text.rfind("\n", 0, match.start()) + 1 : end if end >= 0 else len(text)]


def _captured(match: re.Match[str]) -> str:
    """Group 1 is the value, else the whole match; a rule joined from alternatives ("a|b") has one group
    per alternative, so the first group that took part is the value."""
    return next((group for group in match.groups() if group is not None), match.group(0))


# --- the generic label rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Labelled:
    label: Label
    line: int
    value: str  # the text after the label up to the next label on the line, separators stripped
    column: int  # the label's place among the labels of its kind without a value on its line


def _by_labels(text: str, readers: _Readers) -> dict[str, Any]:
    lines = text.splitlines()
    best: dict[str, tuple[int, int, Any]] = {}  # field -> (priority, line, value)
    total_line: list[str] = []
    for item in _labelled(lines):
        value = _read(item, lines, readers)
        if value is None or item.label.field == IGNORED:
            continue
        name, priority = item.label.field, item.label.priority
        held = best.get(name)
        # Among totals of one priority the last wins (the amount payable closes the invoice); for every
        # other field the first.
        if held is None or priority > held[0] or (name == "total_amount" and priority == held[0]):
            best[name] = (priority, item.line, value)
            if name == "total_amount":
                total_line[:] = [lines[item.line]] if item.value else _next_line(lines, item.line)
    found = {name: value for name, (_, _, value) in best.items()}
    if "currency" not in found and total_line:
        currency = next(filter(None, map(currency_in, total_line)), None)
        if currency is not None:
            found["currency"] = currency
    if "payment_terms" not in found and (terms := TERMS_RE.search(text)) is not None:
        found["payment_terms"] = " ".join(terms.group(0).split())
    return found


def _labelled(lines: list[str]) -> Iterator[_Labelled]:
    for number, line in enumerate(lines):
        matches = _labels_on(line)
        columns: dict[str, int] = {}
        for index, (_start, end, label) in enumerate(matches):
            stop = matches[index + 1][0] if index + 1 < len(matches) else len(line)
            value = line[end:stop].strip(_SEPARATORS).strip()
            kind = "date" if label.field.endswith("date") else label.field
            column = columns.get(kind, 0)
            if not value:
                columns[kind] = column + 1
            yield _Labelled(label, number, value, column)


def _labels_on(line: str) -> list[tuple[int, int, Label]]:
    """The labels on one line; where two overlap the longer wins ("Due Date" over "Date", "Subtotal"
    and "Total HT" over "Total")."""
    found = [(m.start(), m.end(), label) for label, regex in LABEL_RES for m in regex.finditer(line)]
    found.sort(key=lambda f: (f[0] - f[1], f[0]))
    kept: list[tuple[int, int, Label]] = []
    for start, end, label in found:
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, label))
    return sorted(kept, key=lambda f: f[0])


def _next_line(lines: list[str], number: int) -> list[str]:
    """The line below a label without a value, when it holds values rather than more labels."""
    for below in lines[number + 1 : number + 3]:
        if below.strip():
            return [] if _labels_on(below) else [below.strip()]
    return []


def _read(item: _Labelled, lines: list[str], readers: _Readers) -> Any:
    name = item.label.field
    same_line = bool(item.value)
    text = item.value if same_line else "".join(_next_line(lines, item.line))
    if not text:
        return None
    if name in ("invoice_date", "due_date"):
        dates = list(readers.dates(text)) if not same_line else [readers.first_date(text)]
        dates = [d for d in dates if d is not None]
        return dates[min(item.column, len(dates) - 1)] if dates else None
    if name == "total_amount":
        if not same_line and _AMOUNT_LINE_RE.fullmatch(text) is None:
            return None
        return readers.amount(text)
    if name == "invoice_number":
        return readers.number(text)
    if name == "currency":
        return currency_in(text)
    if name == "payment_terms":
        return " ".join(text.split())[:120] or None
    return text  # IGNORED: read so that its value is never taken for another field


# --- invoice2data templates --------------------------------------------------------------------------

# invoice2data field name -> VendorRules field (INVOICES.md §6).
_TEMPLATE_FIELDS = {
    "invoice_number": "invoice_number",
    "date": "invoice_date",
    "date_due": "due_date",
    "due_date": "due_date",
    "amount": "total_amount",
    "currency": "currency",
    "payment_terms": "payment_terms",
}


def rules_from_invoice2data(text: str) -> VendorRules:
    """A vendor's rules from an invoice2data template (YAML or JSON): its field regexes (a list of regexes
    becomes one regex of alternatives), ``options.date_formats`` and ``options.decimal_separator``, and
    the currency it states (``static_currency`` or ``options.currency``) as the vendor's default. Keys we
    do not use (keywords, issuer, lines, options.languages, …) are ignored."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"The template is neither YAML nor JSON: {exc}", field="template") from exc
    if not isinstance(data, dict):
        raise ValidationError(
            "The template must be a mapping (keywords, fields, options), not "
            f"{type(data).__name__}; export the invoice2data template file as it is.",
            field="template",
        )
    fields = _mapping(data.get("fields"), "fields")
    options = _mapping(data.get("options"), "options")
    rules: dict[str, Any] = {}
    for key, spec in fields.items():
        key = str(key)
        if key == "static_currency" or (key == "currency" and isinstance(spec, dict) and "value" in spec):
            rules["static_currency"] = _currency_option(
                spec["value"] if isinstance(spec, dict) else spec, key
            )
        elif key in _TEMPLATE_FIELDS:
            rules[_TEMPLATE_FIELDS[key]] = _template_regex(spec, key)
    default_currency = rules.pop("static_currency", None)
    if default_currency is None and options.get("currency") is not None:
        default_currency = _currency_option(options["currency"], "options.currency")
    formats = options.get("date_formats") or []
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise ValidationError(
            "options.date_formats must be a list of strptime formats.", field="date_formats"
        )
    separator = options.get("decimal_separator")
    if separator is not None and separator not in (".", ","):
        raise ValidationError(
            f"options.decimal_separator must be '.' or ',', not {separator!r}.", field="decimal_separator"
        )
    return VendorRules(
        **rules, date_formats=formats, decimal_separator=separator, default_currency=default_currency
    )


def _mapping(value: Any, name: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            f"The template's {name} must be a mapping, not {type(value).__name__}.", field=name
        )
    return value


def _template_regex(spec: Any, key: str) -> str | None:
    if isinstance(spec, dict):
        if spec.get("parser", "regex") != "regex":
            return None  # static, lines: not a field regex we can apply
        spec = spec.get("regex")
    patterns = [spec] if isinstance(spec, str) else spec
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise ValidationError(f"The template's field {key} must be a regex or a list of regexes.", field=key)
    for pattern in patterns:
        _compile(pattern, key)
    return patterns[0] if len(patterns) == 1 else "|".join(map(_scoped, patterns))


def _scoped(pattern: str) -> str:
    """One alternative of a joined rule: a leading global flag such as ``(?i)`` (common in invoice2data
    templates) is only allowed at the very start of a regex, so it becomes a scoped group ``(?i:…)``."""
    flags = re.match(r"\(\?([aiLmsux]+)\)", pattern)
    if flags is None:
        return f"(?:{pattern})"
    return f"(?{flags.group(1)}:{pattern[flags.end() :]})"


def _currency_option(value: Any, key: str) -> str:
    code = currency_code(value) if isinstance(value, str) else None
    if code is None:
        raise ValidationError(
            f"The template's {key} must be a currency code such as EUR, not {value!r}.", field=key
        )
    return code
