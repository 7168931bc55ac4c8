"""The pipeline board: a column per stage of the company with the opportunities the user sees
(open ones, and those closed in the last ``CLOSED_DAYS`` days), the count, value and weighted
value of each column, and moves by drag and drop (SortableJS, ``sales/static/sales/board.js``)
posted through HTMX with the card's version: a stale move is refused with a message and the
board is drawn again as it is now.

The board costs a constant number of queries whatever the number of deals: the stages, one
grouped query of the totals (an index-only scan of ``sales_opportunity_totals``), one query of
the ids of the cards (at most ``CARDS_PER_COLUMN`` a column, one LIMIT per stage joined by
UNION ALL) and one of those cards.
"""

import datetime
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.scoping import get_editable_or_403
from crm.versioning import Conflict

from .models import Opportunity, OpportunityStatus, Stage
from .pipeline import may_move, opportunity_move, stages_of
from .pricing import round_money
from .reports import sums_by
from .views import _company

CARDS_PER_COLUMN = 30
CLOSED_DAYS = 30


def _rows(user, company_id: int, mine: bool):
    since = timezone.localdate() - datetime.timedelta(days=CLOSED_DAYS)
    rows = Opportunity.objects.visible_to(user).filter(company_id=company_id)
    rows = rows.filter(Q(status=OpportunityStatus.OPEN) | Q(closed_on__gte=since))
    return rows.filter(owner=user) if mine else rows


def board_context(user, *, mine: bool = False, message: str = "", level: str = "") -> dict:
    company_id = _company(user)
    stages = stages_of(company_id)
    rows = _rows(user, company_id, mine)
    totals: dict[int, dict] = defaultdict(lambda: {"count": 0, "sums": []})
    for (stage_id, currency), row in sorted(sums_by(rows, "stage_id", "currency").items()):
        column = totals[stage_id]
        column["count"] += row["count"]
        column["sums"].append(
            {
                "currency": currency,
                "value": row["total"],
                "weighted": round_money(row["weighted"], currency),
            }
        )
    cards = defaultdict(list)
    # The first cards of each column: one LIMIT per stage (an ordered walk of the board index,
    # ``sales_opportunity_cards``) joined by UNION ALL, then those rows with their partner and
    # owner. A window function over every visible row sorted and joined them all first: 3.5 s
    # for a "see all" user on 100,000 open deals (bench/sales.py).
    order = [F("expected_close").asc(nulls_last=True), F("id").desc()]
    firsts = [
        rows.filter(stage_id=stage.pk)
        .order_by(*order)
        .values_list("id", flat=True)[:CARDS_PER_COLUMN]
        for stage in stages
    ]
    ids = list(firsts[0].union(*firsts[1:], all=True)) if firsts else []
    for card in (
        Opportunity.objects.filter(pk__in=ids).select_related("partner", "owner").order_by(*order)
    ):
        cards[card.stage_id].append(card)
    columns = [
        {
            "stage": stage,
            "cards": cards.get(stage.pk, []),
            "count": totals[stage.pk]["count"] if stage.pk in totals else 0,
            "sums": totals[stage.pk]["sums"] if stage.pk in totals else [],
        }
        for stage in stages
    ]
    for column in columns:
        column["hidden"] = column["count"] - len(column["cards"])
    return {
        "columns": columns,
        "mine": mine,
        "message": message,
        "level": level,
        "may_move": user.has_perm("sales.change_opportunity"),
    }


@login_required
def board(request):
    if not request.user.has_perm("sales.view_opportunity"):
        raise PermissionDenied
    context = board_context(request.user, mine=request.GET.get("mine") == "1")
    template = "sales/partials/board.html" if request.htmx else "sales/board.html"
    return render(request, template, context)


@login_required
@require_POST
def board_move(request):
    """A card dropped on a column: moves it if the version it was drawn with is still the
    current one; answers with the board as it is now and what happened."""
    user = request.user
    pk, stage_pk, version = (request.POST.get(k, "") for k in ("opportunity", "stage", "version"))
    mine = request.POST.get("mine") == "1"
    if not (pk.isdigit() and stage_pk.isdigit() and version.isdigit()):
        return _answer(request, mine, _("The move could not be read; try again."), "danger")
    opportunity = get_editable_or_403(Opportunity.objects.select_related("stage"), user, pk=pk)
    stage = Stage.objects.filter(pk=stage_pk, company_id=opportunity.company_id).first()
    if stage is None:
        return _answer(request, mine, _("That stage is not one of this company's."), "danger")
    if stage.status == OpportunityStatus.LOST and may_move(opportunity, stage):
        return _answer(
            request,
            mine,
            _("To close %(name)s as lost, open it and say why it was lost.")
            % {"name": opportunity.name},
            "warning",
        )
    try:
        opportunity_move(
            user=user, opportunity=opportunity, stage=stage, expected_version=int(version)
        )
    except Conflict as conflict:
        who = conflict.changed_by or _("another user")
        return _answer(
            request,
            mine,
            _(
                "%(who)s changed %(name)s while you were looking at the board; it was not "
                "moved. The board now shows it as it is."
            )
            % {"who": who, "name": opportunity.name},
            "warning",
        )
    except ValidationError as error:
        return _answer(request, mine, " ".join(error.messages), "danger")
    return _answer(
        request,
        mine,
        _("%(name)s moved to %(stage)s.") % {"name": opportunity.name, "stage": stage},
        "success",
    )


def _answer(request, mine: bool, message: str, level: str):
    context = board_context(request.user, mine=mine, message=message, level=level)
    return render(request, "sales/partials/board.html", context)
