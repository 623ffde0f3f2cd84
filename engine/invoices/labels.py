"""The generic rules' vocabulary as data: the labels that introduce each invoice field in English,
German, French, Dutch, Spanish and Arabic (INVOICES.md §5), their priorities, and the currency
spellings read beside a total."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A label that names a figure which is *not* the amount payable. It is matched like the others so that
# its text can never be read as a plain "Total" (longest match wins on a line), and its value is dropped.
IGNORED = "_ignored"


@dataclass(frozen=True)
class Label:
    field: str
    pattern: str
    priority: int = 0  # among labels of one field, the higher wins (only the total has more than one)


def _labels(field: str, priority: int, *patterns: str) -> list[Label]:
    return [Label(field, pattern, priority) for pattern in patterns]


LABELS: list[Label] = [
    *_labels(
        "invoice_number",
        0,
        r"invoice\s*(?:number|no\.?|nr\.?|num\.?|#)",
        r"tax\s+invoice\s*(?:number|no\.?|#)",
        r"rechnungs-?\s*(?:nummer|nr\.?)",
        r"re-nummer",
        r"rechnung\s+nr\.?",
        r"facture\s*n[°o]\.?",
        r"n[°o]\.?\s*de\s+facture",
        r"num[ée]ro\s+de\s+facture",
        r"factuur-?\s*(?:nummer|nr\.?)",
        r"n[úu]mero\s+de\s+factura",
        r"factura\s+(?:n[úu]mero|n[°o]\.?)",
        r"رقم\s+الفاتورة",
    ),
    *_labels(
        "invoice_date",
        1,
        r"invoice\s+date",
        r"date\s+of\s+(?:issue|invoice)",
        r"issue\s+date",
        r"rechnungsdatum",
        r"date\s+de\s+(?:facture|facturation)",
        r"date\s+d['’]\s*[ée]mission",
        r"factuurdatum",
        r"fecha\s+de\s+(?:emisi[óo]n|factura)",
        r"تاريخ\s+الفاتورة",
        r"تاريخ\s+الإصدار",
    ),
    # A bare "Date" is the invoice date only when nothing more specific says so (priority 0).
    *_labels("invoice_date", 0, r"date", r"datum", r"fecha", r"التاريخ"),
    *_labels(
        "due_date",
        0,
        r"due\s+date",
        r"payment\s+due(?:\s+date)?",
        r"date\s+due",
        r"f[äa]lligkeits?datum",
        r"f[äa]llig\s+am",
        r"zahlbar\s+bis",
        r"date\s+d['’]\s*[ée]ch[ée]ance",
        r"[ée]ch[ée]ance",
        r"date\s+limite\s+de\s+paiement",
        r"vervaldatum",
        r"fecha\s+de\s+vencimiento",
        r"تاريخ\s+الاستحقاق",
    ),
    # The amount payable: these beat a plain "Total" (the spec's "Total Due over Total").
    *_labels(
        "total_amount",
        2,
        r"(?:total\s+)?amount\s+(?:due|payable)",
        r"total\s+(?:amount\s+)?(?:due|payable)",
        r"balance\s+due",
        r"grand\s+total",
        r"invoice\s+total",
        r"total\s+(?:incl\.?|including|inc\.?)\s*(?:vat|tax)",
        r"gesamtbetrag",
        r"rechnungsbetrag",
        r"endsumme",
        r"zu\s+zahlender\s+betrag",
        r"(?:total|montant)\s+ttc",
        r"net\s+[àa]\s+payer",
        r"montant\s+total",
        r"te\s+betalen",
        r"totaalbedrag",
        r"totaal\s+incl\.?\s*btw",
        r"total\s+factura",
        r"importe\s+total",
        r"المبلغ\s+الإجمالي",
        r"إجمالي\s+الفاتورة",
        r"الإجمالي",
    ),
    *_labels("total_amount", 1, r"total\s+amount", r"summe", r"المجموع"),
    *_labels("total_amount", 0, r"total", r"totaal"),
    *_labels(
        "payment_terms",
        0,
        r"payment\s+terms",
        r"terms\s+of\s+payment",
        r"zahlungsbedingungen",
        r"zahlungsziel",
        r"conditions\s+de\s+(?:paiement|r[èe]glement)",
        r"betalingsvoorwaarden",
        r"condiciones\s+de\s+pago",
        r"شروط\s+الدفع",
    ),
    *_labels("currency", 0, r"currency", r"w[äa]hrung", r"devise", r"valuta", r"moneda", r"العملة"),
    # Sub-totals, net and tax figures: never the amount payable.
    *_labels(
        IGNORED,
        0,
        r"sub[\s-]?total",
        r"zwischensumme",
        r"sous[\s-]total",
        r"subtotaal",
        r"total\s+(?:ht|hors\s+taxes?)",
        r"montant\s+ht",
        r"total\s+(?:excl\.?|excluding|exkl\.?|before|net|vat|tax|tva|mwst|iva|btw)",
        r"(?:totaal\s+)?excl\.?\s*btw",
        r"net\s+(?:amount|total)",
        r"nettobetrag",
        r"base\s+imponible",
        r"المجموع\s+الفرعي",
    ),
]

# Letters of any script count as a word, so a label never matches inside another word ("Subtotal").
LABEL_RES = [(label, re.compile(rf"(?<![\w-]){label.pattern}(?!\w)", re.IGNORECASE)) for label in LABELS]


# Terms written without a label ("Net 30", "30 days", "Zahlbar innerhalb 14 Tagen"); a number followed by
# decimals is an amount, not a term.
TERMS_RE = re.compile(
    r"(?<!\w)(?:"
    r"net\s+\d{1,3}(?![\d.,]\d)(?:\s+days)?"
    r"|(?:payable\s+)?within\s+\d{1,3}\s+days"
    r"|\d{1,3}\s+days(?:\s+net)?"
    r"|zahlbar\s+innerhalb\s+(?:von\s+)?\d{1,3}\s+tagen"
    r"|\d{1,3}\s+tage\s+netto"
    r"|[àa]\s+\d{1,3}\s+jours"
    r"|binnen\s+\d{1,3}\s+dagen"
    r"|\d{1,3}\s+d[íi]as"
    r")(?!\w)",
    re.IGNORECASE,
)

# ISO 4217 codes the desk meets. Generic rules read only these (a three-letter word is not a currency);
# a vendor rule may capture any code.
_ISO_CODES = "AED SAR QAR OMR KWD BHD EGP JOD USD EUR GBP CHF CAD AUD NZD JPY CNY INR PKR SGD HKD SEK NOK DKK"
_ISO_CODES += " PLN CZK TRY ZAR"
CURRENCY_CODES = frozenset(_ISO_CODES.split())
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "د.إ": "AED", "ر.س": "SAR"}
CURRENCY_RE = re.compile(
    r"(?<![A-Za-z])(?P<code>" + "|".join(sorted(CURRENCY_CODES)) + r")(?![A-Za-z])"
    r"|(?P<symbol>US\$|[€$£]|د\.إ|ر\.س)"
)

# Arabic-Indic and Eastern Arabic-Indic digits, and the Arabic decimal and thousands separators.
_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS |= {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}
_DIGITS |= {ord("٫"): ".", ord("٬"): ","}


def normalise_digits(text: str) -> str:
    return text.translate(_DIGITS)


def currency_in(text: str) -> str | None:
    """The ISO 4217 code a piece of text names, by code or by symbol; None when it names none."""
    match = CURRENCY_RE.search(text)
    if match is None:
        return None
    if match.group("code"):
        return match.group("code")
    return CURRENCY_SYMBOLS[match.group("symbol")]


def currency_code(value: str) -> str | None:
    """A currency as a vendor rule captured it ("€", "eur", "AED") as an ISO 4217 code."""
    value = value.strip()
    if value in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[value]
    if re.fullmatch(r"[A-Za-z]{3}", value):
        return value.upper()
    return currency_in(value)
