"""The partner page's "Sales" tab (issue 25, item 6): a 360° view of the partner's business
with the user's own company, registered on ``crm.sections.partner_tabs`` from
``SalesConfig.ready()``.

What it shows, each part only of the records the user sees (``visible_to``) and each in one
query whatever the number of rows: the pipeline (open opportunities' count, value and weighted
value per currency), the open opportunities, the open quotes (draft or sent, latest revision),
the partner's running projects. Orders, deliveries and invoices join it as their models land
in the chain."""

from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Sum, Value
from django.db.models.functions import Coalesce

from .models import (
    MONEY,
    Opportunity,
    OpportunityStatus,
    Project,
    Quote,
    QuoteStatus,
)

LISTED = 10  # rows of each list; a link leads to the full list
ZERO = Value(Decimal(0), output_field=DecimalField(**MONEY))


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
    context["may_add_opportunity"] = user.has_perm("sales.add_opportunity")
    context["may_add_project"] = user.has_perm("sales.add_project")
    return context
