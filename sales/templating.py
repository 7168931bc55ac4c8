"""What document templates may say about a quote (its PDF is drawn by the document generator
from a template the company keeps in the store; ``sales/data/quote_template.html`` is one to
start from): number, dates, title, the lines, the VAT summary per rate and the totals, in
Hungarian number and date formats; a quote leads to its partner and contact. A quote is also
a record documents link to. Registered from ``SalesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from crm.templating import (
    Provider,
    Relation,
    Source,
    Variable,
    hungarian_date,
    hungarian_number,
    person,
    providers,
    relations,
)

from . import vat

FIELDS = [
    ("number", _("number"), "AJ-2026-0001"),
    ("title", _("title"), "Csarnok fűtése"),
    ("issued_on", _("issued on"), "2026. 12. 07."),
    ("valid_until", _("valid until"), "2027. 01. 06."),
    ("currency", _("currency"), "Ft"),
    ("net_total", _("net total"), "1 000 000"),
    ("vat_total", _("VAT"), "270 000"),
    ("gross_total", _("gross total"), "1 270 000"),
    ("notes", _("notes"), ""),
    ("owner.name", _("prepared by"), "Kovács Anna"),
    ("lines[].name", _("line: name"), "Kondenzációs kazán 24 kW"),
    ("lines[].quantity", _("line: quantity"), "2"),
    ("lines[].unit", _("line: unit"), "db"),
    ("lines[].unit_price", _("line: unit price"), "659 000"),
    ("lines[].discount", _("line: discount (%)"), "5"),
    ("lines[].vat", _("line: VAT"), "27 %"),
    ("lines[].value", _("line: net value"), "1 252 100"),
    ("vat_rows[].rate", _("VAT summary: rate"), "27 %"),
    ("vat_rows[].net", _("VAT summary: net"), "1 252 100"),
    ("vat_rows[].vat", _("VAT summary: VAT"), "338 067"),
    ("vat_rows[].gross", _("VAT summary: gross"), "1 590 167"),
]
SYMBOLS = {"HUF": "Ft", "EUR": "EUR"}


def _money(value, currency: str) -> str:
    return hungarian_number(value, 0 if currency == "HUF" else 2)


def _rate(rate: str) -> str:
    return f"{rate} %" if rate.isdigit() else rate


def _quote(source: Source) -> dict:
    quote = source.get("quote")
    if quote is None:
        return {}
    currency = quote.currency
    lines = list(quote.lines.all())
    rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], currency)
    return {
        "number": str(quote),
        "title": quote.title,
        "issued_on": hungarian_date(quote.issued_on),
        "valid_until": hungarian_date(quote.valid_until),
        "currency": SYMBOLS.get(currency, currency),
        "net_total": _money(total.net, currency),
        "vat_total": _money(total.vat, currency),
        "gross_total": _money(total.gross, currency),
        "notes": quote.notes,
        "owner": person(quote.owner),
        "lines": [
            {
                "name": line.name,
                "quantity": hungarian_number(line.quantity.normalize()),
                "unit": line.unit,
                "unit_price": hungarian_number(
                    line.unit_price,
                    0
                    if currency == "HUF" and line.unit_price == line.unit_price.to_integral()
                    else 2,
                ),
                "discount": hungarian_number(line.discount_percent.normalize())
                if line.discount_percent
                else "",
                "vat": _rate(line.vat_rate),
                "value": _money(line.value, currency),
            }
            for line in lines
        ],
        "vat_rows": [
            {
                "rate": _rate(row.rate),
                "net": _money(row.net, currency),
                "vat": _money(row.vat, currency),
                "gross": _money(row.gross, currency),
            }
            for row in rows
        ],
    }


def register() -> None:
    from documents.linkables import Linkable, registry

    registry.register(Linkable("quote", "sales.Quote", _("quote"), "sales:quote", order=50))
    providers.register(
        Provider(
            key="quote",
            label=_("The quote the document is generated from"),
            variables=tuple(Variable(f"quote.{n}", label, ex) for n, label, ex in FIELDS),
            value=_quote,
            order=50,
        )
    )
    relations.register(Relation("quote", "partner", "partners.Partner", "partner_id"))
    relations.register(Relation("quote", "contact", "partners.Contact", "contact_id"))
