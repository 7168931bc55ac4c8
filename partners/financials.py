"""Balance-sheet figures per year (revenue and profit in HUF, headcount) that users type or
import, beside those the company registry fills: the partner form's year rows
(``FinancialsFormSet``) and the import's year columns (``Árbevétel 2024``, ``fin:revenue:2024``)
share the rules here, so a figure is refused with the same message wherever it comes from."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .models import Partner, PartnerFinancials

FIRST_YEAR = 1990  # PartnerFinancials.year's own minimum
BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1
FIN_PREFIX = "fin:"

# The import's column names for each figure (normalised as the import's headers are:
# lower case, no accents), followed by the year: "Nettó árbevétel 2024", "Létszám 2023".
MEASURES = {
    "revenue": (
        _("revenue (HUF)"),
        ("arbevetel", "netto arbevetel", "ertekesites netto arbevetele", "revenue", "turnover"),
    ),
    "profit": (
        _("profit (HUF)"),
        ("eredmeny", "adozott eredmeny", "profit", "net profit", "net income"),
    ),
    "headcount": (
        _("headcount"),
        ("letszam", "dolgozok szama", "alkalmazottak szama", "headcount", "employees"),
    ),
}
YEAR_IN_HEADER = re.compile(r"(?:^|[\s:_])((?:19|20)\d\d)(?:$|[\s:_])")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_CURRENCY = re.compile(r"(?:ft\.?|huf|forint)$", re.IGNORECASE)


def last_year() -> int:
    """The latest year figures may be given for: the current one (a first estimate)."""
    return timezone.localdate().year


def clean_year(value: int) -> int:
    if not FIRST_YEAR <= value <= last_year():
        raise ValidationError(
            _("The year must be between %(first)s and %(last)s."),
            code="year",
            params={"first": FIRST_YEAR, "last": last_year()},
        )
    return value


def parse_huf(text: str, *, negative: bool) -> int:
    """Whole forints as people write them: ``1250000``, ``1 250 000``, ``1.250.000 Ft``,
    ``-3 000 000`` (a loss). Fractions are refused: a balance sheet has none."""
    value = _CURRENCY.sub("", _SPACES.sub("", str(text))).replace("\u2212", "-")
    digits = value.lstrip("-")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
        digits = digits.replace(".", "")
    if not re.fullmatch(r"\d+", digits) or value.count("-") > 1 or "-" in value[1:]:
        raise ValidationError(_("Write a whole number of forints, like 1 250 000."), code="huf")
    number = -int(digits) if value.startswith("-") else int(digits)
    if number < 0 and not negative:
        raise ValidationError(_("This figure cannot be negative."), code="negative")
    if abs(number) > BIGINT_MAX:
        raise ValidationError(_("This figure is too large."), code="too_large")
    return number


def parse_headcount(text: str) -> int:
    value = _SPACES.sub("", str(text))
    if not re.fullmatch(r"\d+", value):
        raise ValidationError(_("Write the headcount as a whole number, like 42."), code="count")
    number = int(value)
    if number > INTEGER_MAX:
        raise ValidationError(_("This figure is too large."), code="too_large")
    return number


def parse_figure(measure: str, text: str) -> int:
    if measure == "headcount":
        return parse_headcount(text)
    return parse_huf(text, negative=measure == "profit")


def shown(value) -> str:
    """A stored figure as the form shows it again: ``1 250 000`` (non-breaking spaces)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        return value
    return f"{value:,}".replace(",", "\u00a0")


# ----------------------------------------------------------------------------- the form


class FigureField(forms.CharField):
    """A revenue, profit or headcount box: typed the Hungarian way, stored as an integer."""

    def __init__(self, measure: str, **kwargs):
        self.measure = measure
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", MEASURES[measure][0])
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return shown(value)

    def to_python(self, value):
        text = super().to_python(value)
        return None if text in (None, "") else parse_figure(self.measure, text)


class FinancialsForm(BootstrapMixin, forms.Form):
    """One year of a partner's balance-sheet figures."""

    year = forms.IntegerField(
        label=_("year"), required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    revenue = FigureField("revenue")
    profit = FigureField("profit")
    headcount = FigureField("headcount")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean_year(self):
        year = self.cleaned_data.get("year")
        return None if year is None else clean_year(year)

    def clean(self):
        cleaned = super().clean()
        figures = [cleaned.get(m) for m in MEASURES]
        missing = cleaned.get("year") is None and "year" not in self.errors
        if missing and any(f is not None for f in figures):
            self.add_error("year", _("Give the year of these figures."))
        return cleaned


class BaseFinancialsFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            year = form.cleaned_data.get("year")
            if year is None or form.cleaned_data.get("DELETE"):
                continue
            if year in seen:
                raise ValidationError(
                    _("The year %(year)s is given twice."), params={"year": year}, code="twice"
                )
            seen.add(year)

    def usable(self) -> bool:
        """Valid, or not posted at all (then the figures stay as they are)."""
        return not self.is_bound or self.is_valid()

    def rows(self) -> list[dict] | None:
        """The years kept (filled in, not deleted), for ``partner_financials_set``; None when
        the form did not post them."""
        if not self.is_bound:
            return None
        return [
            {name: form.cleaned_data.get(name) for name in ("year", *MEASURES)}
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("year") is not None
            and not form.cleaned_data.get("DELETE")
        ]


FinancialsFormSet = forms.formset_factory(
    FinancialsForm,
    formset=BaseFinancialsFormSet,
    extra=1,
    can_delete=True,
    max_num=60,
    validate_max=True,
)
PREFIX = "fin"


def financials_formset(data=None, partner=None) -> BaseFinancialsFormSet:
    """The partner form's year rows: the stored years, newest first, and an empty one."""
    initial = []
    if partner is not None and partner.pk:
        initial = list(
            partner.financials.order_by("-year").values("year", "revenue", "profit", "headcount")
        )
    if data is not None and f"{PREFIX}-TOTAL_FORMS" not in data:
        data = None  # a post without the year rows: leave the stored figures alone
    return FinancialsFormSet(data, initial=initial, prefix=PREFIX)


def registry_rows_into(data, figures) -> None:
    """ "Fill from registry": the registry's years (``companyinfo.Financials``) go into the
    form's year rows, replacing what was typed for the same year and keeping other years, so
    the user sees and checks them before saving."""
    total = data.get(f"{PREFIX}-TOTAL_FORMS", "0")
    count = int(total) if str(total).isdigit() else 0
    rows = {}
    for i in range(min(count, 60)):
        row = {m: data.get(f"{PREFIX}-{i}-{m}", "") for m in ("year", *MEASURES)}
        if str(row["year"]).strip().isdigit() and not data.get(f"{PREFIX}-{i}-DELETE"):
            rows[int(row["year"])] = row
    for figure in figures:
        row = rows.setdefault(figure.year, {"year": figure.year, "headcount": ""})
        row["revenue"] = shown(figure.revenue)
        row["profit"] = shown(figure.profit)
    for key in [k for k in data if k.startswith(f"{PREFIX}-")]:
        del data[key]
    ordered = [rows[year] for year in sorted(rows, reverse=True)]
    for i, row in enumerate(ordered):
        for name, value in row.items():
            data[f"{PREFIX}-{i}-{name}"] = str(value)
    data[f"{PREFIX}-TOTAL_FORMS"] = str(len(ordered) + 1)
    data[f"{PREFIX}-INITIAL_FORMS"] = "0"


def partner_financials_set(*, partner: Partner, rows: list[dict]) -> None:
    """Replaces the partner's years with ``rows`` (the form shows every stored year, so what
    it posts is the whole set); called inside the partner services' transaction."""
    objects = [PartnerFinancials(partner=partner, **row) for row in rows]
    for row in objects:
        row.full_clean(exclude=["partner"], validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        partner.financials.all().delete()
        PartnerFinancials.objects.bulk_create(objects)


# ----------------------------------------------------------------------------- the import


def column_field(normalised_header: str) -> str:
    """The import field of a column whose (normalised) header names a figure and a year:
    ``netto arbevetel 2024`` → ``fin:revenue:2024``; ``""`` if it names none."""
    header = normalised_header.replace("_", " ")
    if header.startswith(FIN_PREFIX):
        parts = header[len(FIN_PREFIX) :].split(":")
        if len(parts) == 2 and parts[0] in MEASURES and re.fullmatch(r"\d{4}", parts[1]):
            return header
        return ""
    found = YEAR_IN_HEADER.search(header)
    if not found:
        return ""
    words = " ".join((header[: found.start(1)] + " " + header[found.end(1) :]).split())
    for measure, (_label, synonyms) in MEASURES.items():
        if words in synonyms:
            return f"{FIN_PREFIX}{measure}:{found.group(1)}"
    return ""


def column_choices(normalised_headers) -> list[tuple[str, str]]:
    """The figure fields a partner import's columns can be mapped to: each figure of every
    year that a header names (``Árbevétel 2024`` offers the revenue, profit and headcount
    of 2024)."""
    years = set()
    for header in normalised_headers:
        name = column_field(header)
        if name:
            years.add(int(name.rsplit(":", 1)[1]))
        else:
            years.update(int(y) for y in YEAR_IN_HEADER.findall(header.replace("_", " ")))
    return [
        (f"{FIN_PREFIX}{measure}:{year}", f"{label} {year}")
        for year in sorted(years, reverse=True)
        for measure, (label, _synonyms) in MEASURES.items()
    ]


def parse_cell(name: str, raw: str, values: dict) -> None:
    """One figure cell of an import row into ``values["financials"]`` (``{year: {measure:
    value}}``); ValidationError with the reason for a bad figure or year."""
    measure, year = name[len(FIN_PREFIX) :].split(":")
    year = clean_year(int(year))
    values.setdefault("financials", {}).setdefault(str(year), {})[measure] = parse_figure(
        measure, raw
    )


# Written set-based from the import's staging table (its ``financials`` column), in the same
# statement for every row of a chunk; an empty cell keeps the stored figure.
IMPORT_SQL = """
    INSERT INTO partners_partnerfinancials AS f (partner_id, year, revenue, profit, headcount)
    SELECT coalesce(s.partner_id, s.new_id), y.key::smallint, (y.value->>'revenue')::bigint,
           (y.value->>'profit')::bigint, (y.value->>'headcount')::integer
    FROM import_stage s CROSS JOIN LATERAL jsonb_each(s.financials) AS y
    WHERE s.financials IS NOT NULL
    ON CONFLICT (partner_id, year) DO UPDATE SET
        revenue = coalesce(EXCLUDED.revenue, f.revenue),
        profit = coalesce(EXCLUDED.profit, f.profit),
        headcount = coalesce(EXCLUDED.headcount, f.headcount)
    WHERE (f.revenue, f.profit, f.headcount) IS DISTINCT FROM
          (coalesce(EXCLUDED.revenue, f.revenue), coalesce(EXCLUDED.profit, f.profit),
           coalesce(EXCLUDED.headcount, f.headcount))
    RETURNING partner_id
"""
