"""The sales reports (issue 25, item 7): pipeline by stage and by owner, the weighted forecast
by month and quarter, win rate, the average sales cycle and the discounts given, for a period
and a currency, over what the user sees (``visible_to``: a rep their own, a manager their team,
a "see all" user the company).

What falls in the period:

- the **pipeline** is now: the open opportunities, whatever their expected close;
- the **forecast** puts an open opportunity in the month of its expected close (value ×
  probability), beside what was won in that month (value of those closed as won);
- **win rate** and **sales cycle** count the opportunities closed (won or lost) in the period;
  the cycle runs from the opportunity's creation to its closing move in the stage history
  (``StageChange``; the closing day when the history has none, as for imported deals);
- **discounts** compare the list price with the price given: on the lines of the opportunities
  that close in the period (open ones by their expected close, won ones by their closing day;
  lost ones left out) and on the lines of the quotes issued in it (rejected ones and versions
  replaced by a newer one left out). They
  are need-to-know (``DISCOUNTS``), as in the query builder.

Everything is aggregated in PostgreSQL (a constant number of queries, whatever the number of
opportunities or lines); an opportunity's value is the sum of its lines, kept on the row by
``sales.services``, so the forecast never reads the lines.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.forms import BootstrapMixin
from crm.models import User

from .forms import DateInput
from .models import (
    Currency,
    Opportunity,
    OpportunityStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
    StageChange,
)
from .pipeline import stages_of
from .pricing import round_money

OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST
DISCOUNTS = "sales.view_discountrule"
MONEY_SUM = DecimalField(max_digits=22, decimal_places=4)
ZERO = Decimal(0)
MAX_DAYS = 3 * 366  # a period longer than three years is refused (the forecast's months)


# --------------------------------------------------------------------------- the period


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def presets(today: datetime.date) -> list[tuple[str, str, datetime.date, datetime.date]]:
    """(key, label, first day, last day) of the periods offered with one click."""
    quarter = _quarter_start(today)
    year = datetime.date(today.year, 1, 1)
    month = today.replace(day=1)
    return [
        ("quarter", _("This quarter"), quarter, _add_months(quarter, 3) - datetime.timedelta(1)),
        ("year", _("This year"), year, datetime.date(today.year, 12, 31)),
        ("next12", _("Next 12 months"), month, _add_months(month, 12) - datetime.timedelta(1)),
        (
            "last_year",
            _("Last year"),
            datetime.date(today.year - 1, 1, 1),
            datetime.date(today.year - 1, 12, 31),
        ),
    ]


class ReportForm(BootstrapMixin, forms.Form):
    """The report's filters: the period (Hungarian or ISO dates), the currency, whose deals."""

    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DateInput())
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"), required=False, choices=Currency.choices
    )
    mine = forms.ChoiceField(
        label=gettext_lazy("Owner"),
        required=False,
        choices=[("", gettext_lazy("Me and my team")), ("1", gettext_lazy("Mine"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        default = presets(today)[1]  # this year
        start, end = data.get("start") or default[2], data.get("end") or default[3]
        if end < start:
            raise forms.ValidationError(_("The end of the period is before its start."))
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        data["start"], data["end"] = start, end
        data["currency"] = data.get("currency") or Currency.HUF
        return data


@dataclass
class Filters:
    start: datetime.date
    end: datetime.date
    currency: str = Currency.HUF
    mine: bool = False

    @classmethod
    def default(cls) -> "Filters":
        _key, _label, start, end = presets(timezone.localdate())[1]
        return cls(start=start, end=end)


# --------------------------------------------------------------------------- the report


@dataclass
class Report:
    filters: Filters
    stages: list[dict] = field(default_factory=list)
    owners: list[dict] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)
    quarters: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    win: dict = field(default_factory=dict)
    cycle: dict = field(default_factory=dict)
    discounts: list[dict] | None = None  # None: the user may not see discounts
    quote_discounts: list[dict] | None = None


def opportunities(user, company_id: int, filters: Filters):
    """The opportunities the report reads: visible to the user, of the company, in the
    currency (and the user's own only, when asked)."""
    rows = Opportunity.objects.visible_to(user).filter(
        company_id=company_id, currency=filters.currency
    )
    return rows.filter(owner=user) if filters.mine else rows


def sums_by(queryset, *keys: str) -> dict[tuple, dict]:
    """Count, value and weighted value of ``queryset`` grouped by ``keys``. Grouped by the
    probability too, so the database only adds values up (no product per row: a third less
    time over 100,000 deals) and the few probabilities weigh their sums here."""
    found: dict[tuple, dict] = {}
    for row in (
        queryset.order_by()
        .values(*keys, "probability")
        .annotate(count=Count("id"), total=Sum("value"))
    ):
        key = tuple(row[k] for k in keys)
        into = found.setdefault(key, {"count": 0, "total": ZERO, "weighted": ZERO})
        total = row["total"] or ZERO
        into["count"] += row["count"]
        into["total"] += total
        into["weighted"] += total * row["probability"] / 100
    return found


def _money(amount, currency: str) -> Decimal:
    return round_money(amount or ZERO, currency)


def _rate(part, whole) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def _average_days(seconds: Decimal, count: int) -> Decimal | None:
    return _days(datetime.timedelta(seconds=float(seconds / count))) if count else None


def _days(duration: datetime.timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / 86400).quantize(Decimal("0.1"))


def closing_moment():
    """When an opportunity was closed as it is now: its last move into a stage of its status
    (the stage history), else the closing day's midnight."""
    last_move = (
        StageChange.objects.filter(opportunity=OuterRef("pk"), to_stage__status=OuterRef("status"))
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    return Coalesce(
        Subquery(last_move, output_field=DateTimeField()),
        Cast("closed_on", DateTimeField()),
    )


def build(user, company_id: int, filters: Filters) -> Report:
    """The whole report for ``user`` in ``company_id``: a constant number of queries."""
    currency = filters.currency
    rows = opportunities(user, company_id, filters)
    report = Report(filters=filters)
    open_rows = rows.filter(status=OPEN).order_by()

    # pipeline by stage (now)
    by_stage = sums_by(open_rows, "stage_id")
    for stage in stages_of(company_id):
        if stage.status != OPEN:
            continue
        found = by_stage.get((stage.pk,), {})
        report.stages.append(
            {
                "stage": stage,
                "probability": stage.probability,
                "count": found.get("count", 0),
                "value": _money(found.get("total"), currency),
                "weighted": _money(found.get("weighted"), currency),
            }
        )

    # by owner: the open pipeline (now), and what they closed in the period with its cycle
    owners: dict[int, dict] = {}

    def owner_row(owner_id: int) -> dict:
        return owners.setdefault(
            owner_id,
            {
                "owner_id": owner_id,
                "count": 0,
                "value": ZERO,
                "weighted": ZERO,
                "won": 0,
                "lost": 0,
                "won_value": ZERO,
                "cycle_days": None,
            },
        )

    for (owner_id,), r in sums_by(open_rows, "owner_id").items():
        row = owner_row(owner_id)
        row["count"] = r["count"]
        row["value"] = _money(r["total"], currency)
        row["weighted"] = _money(r["weighted"], currency)

    closed = (
        rows.filter(status__in=[WON, LOST], closed_on__range=(filters.start, filters.end))
        .order_by()
        .annotate(
            cycle=ExpressionWrapper(
                closing_moment() - F("created_at"), output_field=DurationField()
            )
        )
    )
    totals = {WON: [0, ZERO, ZERO], LOST: [0, ZERO, ZERO]}  # count, value, cycle seconds
    cycle_count = {WON: 0, LOST: 0}
    owner_cycles: dict[int, list] = {}
    for r in closed.values("owner_id", "status").annotate(
        count=Count("id"),
        total=Sum("value"),
        cycle_avg=Avg("cycle"),
        cycled=Count("cycle"),
    ):
        row = owner_row(r["owner_id"])
        status = r["status"]
        row["won" if status == WON else "lost"] = r["count"]
        if status == WON:
            row["won_value"] = _money(r["total"], currency)
        seconds = Decimal(r["cycle_avg"].total_seconds()) if r["cycle_avg"] else ZERO
        totals[status][0] += r["count"]
        totals[status][1] += r["total"] or ZERO
        totals[status][2] += seconds * r["cycled"]
        cycle_count[status] += r["cycled"]
        mine = owner_cycles.setdefault(r["owner_id"], [ZERO, 0])
        mine[0] += seconds * r["cycled"]
        mine[1] += r["cycled"]
    names = {
        u.pk: u.get_full_name() or u.username
        for u in User.objects.filter(pk__in=list(owners)).only(
            "first_name", "last_name", "username"
        )
    }
    for owner_id, row in owners.items():
        row["name"] = names.get(owner_id, "–")
        row["closed"] = row["won"] + row["lost"]
        row["win_rate"] = _rate(row["won"], row["closed"])
        seconds, count = owner_cycles.get(owner_id, (ZERO, 0))
        row["cycle_days"] = (
            _days(datetime.timedelta(seconds=float(seconds / count))) if count else None
        )
    report.owners = sorted(owners.values(), key=lambda r: (-r["weighted"], r["name"]))

    won, lost = totals[WON], totals[LOST]
    report.win = {
        "won": won[0],
        "lost": lost[0],
        "closed": won[0] + lost[0],
        "won_value": _money(won[1], currency),
        "lost_value": _money(lost[1], currency),
        "rate": _rate(won[0], won[0] + lost[0]),
        "value_rate": _rate(won[1], won[1] + lost[1]),
    }

    def average(status_list) -> Decimal | None:
        seconds = sum(totals[s][2] for s in status_list)
        count = sum(cycle_count[s] for s in status_list)
        return _average_days(seconds, count)

    report.cycle = {
        "won": average([WON]),
        "lost": average([LOST]),
        "all": average([WON, LOST]),
        "won_count": cycle_count[WON],
        "lost_count": cycle_count[LOST],
    }

    # the forecast: open deals by the month of their expected close, won ones by closing month
    months: dict[datetime.date, dict] = {}
    month = filters.start.replace(day=1)
    while month <= filters.end:
        months[month] = {"month": month, "count": 0, "value": ZERO, "weighted": ZERO, "won": ZERO}
        month = _add_months(month, 1)
    in_period = open_rows.filter(expected_close__range=(filters.start, filters.end))
    for (month,), r in sums_by(
        in_period.annotate(month=TruncMonth("expected_close")), "month"
    ).items():
        row = months[_first_of(month)]
        row["count"] = r["count"]
        row["value"] = _money(r["total"], currency)
        row["weighted"] = _money(r["weighted"], currency)
    for r in (
        rows.filter(status=WON, closed_on__range=(filters.start, filters.end))
        .order_by()
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(total=Sum("value"))
    ):
        months[_first_of(r["month"])]["won"] = _money(r["total"], currency)
    report.months = list(months.values())
    for row in report.months:
        row["label"] = date_format(row["month"], "YEAR_MONTH_FORMAT")
    quarters: dict[tuple, dict] = {}
    for row in report.months:
        key = (row["month"].year, (row["month"].month - 1) // 3 + 1)
        quarter = quarters.setdefault(
            key,
            {
                "label": _("%(year)s Q%(quarter)s") % {"year": key[0], "quarter": key[1]},
                "count": 0,
                "value": ZERO,
                "weighted": ZERO,
                "won": ZERO,
            },
        )
        for name in ("count", "value", "weighted", "won"):
            quarter[name] += row[name]
    report.quarters = list(quarters.values())
    report.totals = {
        "count": sum(r["count"] for r in report.stages),
        "value": sum((r["value"] for r in report.stages), ZERO),
        "weighted": sum((r["weighted"] for r in report.stages), ZERO),
        "forecast": sum((r["weighted"] for r in report.months), ZERO),
        "forecast_value": sum((r["value"] for r in report.months), ZERO),
        "won": sum((r["won"] for r in report.months), ZERO),
    }

    if user.has_perm(DISCOUNTS):
        report.discounts = _line_discounts(rows, filters, names, currency)
        report.quote_discounts = _quote_discounts(user, company_id, filters, currency)
    return report


def _first_of(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


def _discount_rows(found, names: dict, currency: str) -> list[dict]:
    rows = []
    for r in found:
        listed = _money(r["listed"], currency)
        given = _money(r["given"], currency)
        rows.append(
            {
                "owner_id": r["owner_id"],
                "name": names.get(r["owner_id"], "–"),
                "lines": r["lines"],
                "manual": r.get("manual"),
                "listed": listed,
                "given": given,
                "discount": listed - given,
                "percent": _rate(listed - given, listed),
                "average_percent": (r["average_percent"] or ZERO).quantize(Decimal("0.1")),
            }
        )
    rows.sort(key=lambda r: (-r["discount"], r["name"]))
    if rows:
        total = {
            "name": _("Total"),
            "total": True,
            "lines": sum(r["lines"] for r in rows),
            "manual": sum(r["manual"] or 0 for r in rows)
            if rows[0]["manual"] is not None
            else None,
            "listed": sum((r["listed"] for r in rows), ZERO),
            "given": sum((r["given"] for r in rows), ZERO),
        }
        total["discount"] = total["listed"] - total["given"]
        total["percent"] = _rate(total["discount"], total["listed"])
        weights = sum(r["lines"] for r in rows)
        total["average_percent"] = (
            sum(r["average_percent"] * r["lines"] for r in rows) / weights
        ).quantize(Decimal("0.1"))
        rows.append(total)
    return rows


def _line_discounts(rows, filters: Filters, names: dict, currency: str) -> list[dict]:
    """Per owner: the opportunity lines of the deals closing in the period (open ones by
    expected close, won ones by closing day): list value (quantity × base price), the value
    given, what the difference makes in per cent, the lines' average discount and how many
    were priced by hand."""
    period = (filters.start, filters.end)
    deals = rows.filter(
        Q(status=OPEN, expected_close__range=period) | Q(status=WON, closed_on__range=period)
    )
    # From the deals to their lines (one join, grouped by owner): the lines' sums come from
    # the covering index ``sales_line_discounts``.
    found = [
        row
        for row in deals.filter(lines__isnull=False)  # an inner join: the sums reuse it
        .order_by()
        .values("owner_id")
        .annotate(
            line_count=Count("lines__id"),
            manual=Count("lines__id", filter=Q(lines__manual=True)),
            listed=Sum(
                ExpressionWrapper(
                    F("lines__quantity") * F("lines__base_price"), output_field=MONEY_SUM
                )
            ),
            given=Sum("lines__value"),
            average_percent=Avg("lines__discount_percent"),
        )
        if row["line_count"]
    ]
    for row in found:
        row["lines"] = row.pop("line_count")
    _name_missing(found, names)
    return _discount_rows(found, names, currency)


def _quote_discounts(user, company_id: int, filters: Filters, currency: str) -> list[dict]:
    """Per owner: the lines of the quotes issued in the period (not rejected, not superseded by
    a newer version, so a quote sent three times counts once): list value
    (quantity × the product's list price in the quote's currency), the value given."""
    quotes = (
        Quote.objects.visible_to(user)
        .filter(
            company_id=company_id,
            currency=currency,
            issued_on__range=(filters.start, filters.end),
        )
        .exclude(status__in=[QuoteStatus.REJECTED, QuoteStatus.SUPERSEDED])
    )
    if filters.mine:
        quotes = quotes.filter(owner=user)
    list_price = "product__price_eur" if currency == Currency.EUR else "product__price_huf"
    found = list(
        QuoteLine.objects.filter(quote__in=quotes.values("pk"))
        .order_by()
        .values(owner_id=F("quote__owner_id"))
        .annotate(
            lines=Count("id"),
            listed=Sum(
                ExpressionWrapper(
                    F("quantity") * Coalesce(F(list_price), F("unit_price"), Value(ZERO)),
                    output_field=MONEY_SUM,
                )
            ),
            given=Sum("value"),
            average_percent=Avg("discount_percent"),
        )
    )
    for r in found:
        r["manual"] = None
    names: dict = {}
    _name_missing(found, names)
    return _discount_rows(found, names, currency)


def _name_missing(found: list[dict], names: dict) -> None:
    missing = {r["owner_id"] for r in found} - set(names)
    if missing:
        names.update(
            (u.pk, u.get_full_name() or u.username)
            for u in User.objects.filter(pk__in=missing).only("first_name", "last_name", "username")
        )


# --------------------------------------------------------------------------- chart and export


def chart_data(report: Report) -> dict:
    """What the page's charts draw (``sales/static/sales/reports.js``): numbers as floats."""
    return {
        "forecast": {
            "labels": [r["label"] for r in report.months],
            "datasets": [
                {
                    "label": _("Weighted forecast"),
                    "data": [float(r["weighted"]) for r in report.months],
                },
                {"label": _("Won"), "data": [float(r["won"]) for r in report.months]},
            ],
        },
        "stages": {
            "labels": [str(r["stage"]) for r in report.stages],
            "datasets": [
                {"label": _("Value"), "data": [float(r["value"]) for r in report.stages]},
                {"label": _("Weighted"), "data": [float(r["weighted"]) for r in report.stages]},
            ],
        },
        "currency": report.filters.currency,
    }


def sheets(report: Report) -> list[tuple[str, list[str], list[list]]]:
    """The report's tables as spreadsheet sheets: (title, header, rows), numbers as numbers."""
    currency = report.filters.currency
    money = f" ({currency})"
    result = [
        (
            _("Pipeline by stage"),
            [
                _("Stage"),
                _("Probability (%)"),
                _("Open"),
                _("Value") + money,
                _("Weighted") + money,
            ],
            [
                [str(r["stage"]), r["probability"], r["count"], r["value"], r["weighted"]]
                for r in report.stages
            ],
        ),
        (
            _("By owner"),
            [
                _("Owner"),
                _("Open"),
                _("Value") + money,
                _("Weighted") + money,
                _("Won"),
                _("Lost"),
                _("Win rate (%)"),
                _("Won value") + money,
                _("Sales cycle (days)"),
            ],
            [
                [
                    r["name"],
                    r["count"],
                    r["value"],
                    r["weighted"],
                    r["won"],
                    r["lost"],
                    r["win_rate"],
                    r["won_value"],
                    r["cycle_days"],
                ]
                for r in report.owners
            ],
        ),
        (
            _("Forecast by month"),
            [_("Month"), _("Open"), _("Value") + money, _("Weighted") + money, _("Won") + money],
            [[r["label"], r["count"], r["value"], r["weighted"], r["won"]] for r in report.months],
        ),
        (
            _("Forecast by quarter"),
            [_("Quarter"), _("Open"), _("Value") + money, _("Weighted") + money, _("Won") + money],
            [
                [r["label"], r["count"], r["value"], r["weighted"], r["won"]]
                for r in report.quarters
            ],
        ),
        (
            _("Win rate and cycle"),
            [_("Measure"), _("Value")],
            [
                [_("Won"), report.win["won"]],
                [_("Lost"), report.win["lost"]],
                [_("Win rate (%)"), report.win["rate"]],
                [_("Won value") + money, report.win["won_value"]],
                [_("Lost value") + money, report.win["lost_value"]],
                [_("Win rate by value (%)"), report.win["value_rate"]],
                [_("Average sales cycle, won (days)"), report.cycle["won"]],
                [_("Average sales cycle, lost (days)"), report.cycle["lost"]],
                [_("Average sales cycle, all closed (days)"), report.cycle["all"]],
            ],
        ),
    ]
    discount_head = [
        _("Owner"),
        _("Lines"),
        _("List value") + money,
        _("Value given") + money,
        _("Discount") + money,
        _("Discount (%)"),
        _("Average line discount (%)"),
    ]
    if report.discounts is not None:
        result.append(
            (
                _("Discounts, opportunities"),
                [*discount_head, _("Priced by hand")],
                [
                    [
                        r["name"],
                        r["lines"],
                        r["listed"],
                        r["given"],
                        r["discount"],
                        r["percent"],
                        r["average_percent"],
                        r["manual"],
                    ]
                    for r in report.discounts
                ],
            )
        )
    if report.quote_discounts is not None:
        result.append(
            (
                _("Discounts, quotes"),
                discount_head,
                [
                    [
                        r["name"],
                        r["lines"],
                        r["listed"],
                        r["given"],
                        r["discount"],
                        r["percent"],
                        r["average_percent"],
                    ]
                    for r in report.quote_discounts
                ],
            )
        )
    return result
