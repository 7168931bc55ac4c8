"""The partner page's "Sales" tab (issue 25, item 6): a 360° view of the partner's business
with the user's own company, registered on ``crm.sections.partner_tabs`` from
``SalesConfig.ready()``.

What it shows, each part only of the records the user sees (``visible_to``) and each in one
query whatever the number of rows: the pipeline (open opportunities' count, value and weighted
value per currency), the open opportunities, the open quotes (draft or sent, latest version),
the pending orders with the deliveries due, the invoices (open and overdue, paid this year),
the turnover of this year and last year (net, in forints: invoices less their stornos), and
the partner's running projects."""

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import (
    MONEY,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Opportunity,
    OpportunityStatus,
    Order,
    OrderStatus,
    Project,
    Quote,
    QuoteStatus,
)

LISTED = 10  # rows of each list; a link leads to the full list
ZERO = Value(Decimal(0), output_field=DecimalField(**MONEY))
DUE_WITHIN_DAYS = 14  # a pending order's delivery is due when asked for within this
PENDING = [OrderStatus.OPEN, OrderStatus.PARTLY_DELIVERED]


def _money(expression):
    return ExpressionWrapper(expression, output_field=DecimalField(**MONEY))


def pipeline(user, partner) -> list[dict]:
    """Per currency: the open opportunities' count, value and weighted value (one query)."""
    rows = (
        Opportunity.objects.visible_to(user)
        .filter(partner=partner, status=OpportunityStatus.OPEN)
        .values("currency")
        .annotate(
            count=Count("pk"),
            # before ``value``, whose name would else stand for the sum in F("value")
            weighted=Coalesce(Sum(_money(F("value") * F("probability") / 100)), ZERO),
            value=Coalesce(Sum("value"), ZERO),
        )
        .order_by("currency")
    )
    return list(rows)


def _huf(field: str):
    """``field`` of an invoice in forints (its exchange rate; a forint invoice has none)."""
    return _money(F(field) * Coalesce(F("exchange_rate"), Value(Decimal(1))))


def orders(user, partner, today: datetime.date) -> dict:
    """The partner's pending orders (open or partly delivered): the first ones by requested
    delivery date, how many there are, how many are due within ``DUE_WITHIN_DAYS`` days and how
    many are late. Two queries."""
    pending = Order.objects.visible_to(user).filter(partner=partner, status__in=PENDING)
    due = today + datetime.timedelta(days=DUE_WITHIN_DAYS)
    figures = pending.aggregate(
        count=Count("pk"),
        due=Count("pk", filter=Q(requested_delivery_on__lte=due)),
        late=Count("pk", filter=Q(requested_delivery_on__lt=today)),
    )
    rows, more = _first(pending.order_by(F("requested_delivery_on").asc(nulls_last=True), "-id"))
    return {"orders": rows, "more_orders": more, "order_figures": figures, "due_on": due}


def invoices(user, partner, today: datetime.date) -> dict:
    """The partner's invoices: open ones (the first by due date), how many are overdue, what
    was paid this year, and the turnover of this year and last year by fulfilment date (net,
    in forints; an invoice cancelled by a storno does not count). Two queries."""
    rows = Invoice.objects.visible_to(user).filter(partner=partner, kind=InvoiceKind.INVOICE)
    live = ~Q(status=InvoiceStatus.CANCELLED)
    is_open = Q(status=InvoiceStatus.ISSUED)
    figures = rows.aggregate(
        open_count=Count("pk", filter=is_open),
        open_huf=Coalesce(Sum(_huf("gross_total"), filter=is_open), ZERO),
        overdue=Count("pk", filter=is_open & Q(due_on__lt=today)),
        paid_count=Count("pk", filter=Q(status=InvoiceStatus.PAID, paid_on__year=today.year)),
        paid_huf=Coalesce(
            Sum(_huf("gross_total"), filter=Q(status=InvoiceStatus.PAID, paid_on__year=today.year)),
            ZERO,
        ),
        this_year=Coalesce(
            Sum(_huf("net_total"), filter=live & Q(fulfilled_on__year=today.year)), ZERO
        ),
        last_year=Coalesce(
            Sum(_huf("net_total"), filter=live & Q(fulfilled_on__year=today.year - 1)), ZERO
        ),
    )
    listed, more = _first(rows.filter(is_open).order_by("due_on", "-id"))
    return {
        "invoices": listed,
        "more_invoices": more,
        "invoice_figures": figures,
        "this_year": today.year,
        "last_year": today.year - 1,
    }


def _first(rows, limit: int = LISTED) -> tuple[list, bool]:
    """The first ``limit`` rows and whether there are more (reads ``limit + 1``)."""
    fetched = list(rows[: limit + 1])
    return fetched[:limit], len(fetched) > limit


def partner_sales_context(request, partner) -> dict:
    user = request.user
    context = {"partner": partner, "pipeline": pipeline(user, partner), "listed": LISTED}
    context["opportunities"], context["more_opportunities"] = _first(
        Opportunity.objects.visible_to(user)
        .filter(partner=partner, status=OpportunityStatus.OPEN)
        .select_related("stage", "owner")
        .order_by(F("expected_close").asc(nulls_last=True), "-id")
    )
    if user.has_perm("sales.view_quote"):
        context["quotes"], context["more_quotes"] = _first(
            Quote.objects.visible_to(user)
            .filter(partner=partner, status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT])
            .exclude(Exists(Quote.objects.filter(replaces=OuterRef("pk"))))
            .order_by("valid_until", "-id")
        )
        context["show_quotes"] = True
    if user.has_perm("sales.view_project"):
        context["projects"], context["more_projects"] = _first(
            Project.objects.visible_to(user)
            .open()
            .filter(partner=partner)
            .select_related("owner")
            .order_by("-id")
        )
        context["show_projects"] = True
    today = timezone.localdate()
    if user.has_perm("sales.view_order"):
        context |= orders(user, partner, today) | {"show_orders": True, "today": today}
    if user.has_perm("sales.view_invoice"):
        context |= invoices(user, partner, today) | {"show_invoices": True, "today": today}
    context["may_add_opportunity"] = user.has_perm("sales.add_opportunity")
    context["may_add_project"] = user.has_perm("sales.add_project")
    return context
