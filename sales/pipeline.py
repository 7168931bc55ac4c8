"""The opportunity's lifecycle: each own company's stages, and the state machine that moves an
opportunity between them.

The stages are the company's own (``Stage``), but what each means is one of three statuses, and
the allowed moves are between statuses: ``TRANSITIONS`` is the one table, ``opportunity_move``
the one function that checks a move and records it (a ``StageChange`` row and the history).
Quotes and orders (later parts of the sales chain) call ``opportunity_mark_quoted`` and
``opportunity_mark_won``, which move an opportunity into the company's automated stages.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.versioning import save_versioned

from .models import Automation, LostReason, Opportunity, OpportunityStatus, Stage, StageChange

OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST

# status now → the statuses it may move to. A won deal is final (its order follows); a lost
# one may be reopened.
TRANSITIONS = {
    OPEN: frozenset({OPEN, WON, LOST}),
    LOST: frozenset({OPEN}),
    WON: frozenset(),
}

# The stages a company starts with (its admins change them in the admin):
# (Hungarian, English, status, probability, automation)
DEFAULT_STAGES = [
    ("Új lehetőség", "New", OPEN, 10, ""),
    ("Igényfelmérés", "Needs assessed", OPEN, 25, ""),
    ("Ajánlat kiküldve", "Quoted", OPEN, 50, Automation.QUOTED),
    ("Tárgyalás", "Negotiation", OPEN, 75, ""),
    ("Megnyert", "Won", WON, 100, Automation.WON),
    ("Elvesztett", "Lost", LOST, 0, ""),
]


def stages_of(company_id: int) -> list[Stage]:
    """The company's active stages in order; the default ones are created the first time."""
    stages = list(Stage.objects.filter(company_id=company_id, active=True).order_by("order", "pk"))
    if stages or Stage.objects.filter(company_id=company_id).exists():
        return stages
    with transaction.atomic():
        for order, (hu, en, status, probability, automation) in enumerate(DEFAULT_STAGES):
            Stage.objects.get_or_create(
                company_id=company_id,
                name_hu=hu,
                defaults={
                    "name_en": en,
                    "status": status,
                    "probability": probability,
                    "automation": automation,
                    "order": order * 10,
                },
            )
    return list(Stage.objects.filter(company_id=company_id, active=True).order_by("order", "pk"))


def may_move(opportunity: Opportunity, stage: Stage) -> bool:
    return stage.status in TRANSITIONS[opportunity.status]


def opportunity_move(
    *,
    user,
    opportunity: Opportunity,
    stage: Stage,
    expected_version: int,
    lost_reason: str = "",
    note: str = "",
    probability: int | None = None,
    automated: str = "",
) -> Opportunity:
    """Moves ``opportunity`` to ``stage`` if the state machine allows it, the stage is of the
    opportunity's company, and nobody changed the opportunity since ``expected_version``
    (else ``crm.versioning.Conflict``). The probability becomes the stage's default unless
    given; a lost deal needs its reason; closing dates it. The move is recorded."""
    if stage.company_id != opportunity.company_id or not stage.active:
        raise PermissionDenied
    if stage.pk == opportunity.stage_id and probability is None:
        return opportunity
    if not may_move(opportunity, stage):
        raise ValidationError(
            _("A %(now)s opportunity cannot be moved to %(stage)s.")
            % {"now": opportunity.get_status_display().lower(), "stage": stage}
        )
    if stage.status == LOST and lost_reason not in LostReason.values:
        raise ValidationError(
            {"lost_reason": _("Choose why the opportunity was lost before closing it as lost.")}
        )
    previous = opportunity.stage_id
    opportunity.stage = stage
    opportunity.status = stage.status
    opportunity.probability = stage.probability if probability is None else probability
    opportunity.probability_set = probability is not None and probability != stage.probability
    opportunity.lost_reason = lost_reason if stage.status == LOST else ""
    if stage.status == OPEN:
        opportunity.closed_on = None
    elif previous is None or opportunity.closed_on is None:
        opportunity.closed_on = timezone.localdate()
    if stage.status != OPEN:
        opportunity.close_note = note[:300]
    with transaction.atomic():
        save_versioned(
            opportunity,
            expected_version=expected_version,
            fields=[
                "stage",
                "status",
                "probability",
                "probability_set",
                "lost_reason",
                "closed_on",
                "close_note",
            ],
        )
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage_id=previous,
            to_stage=stage,
            changed_by=user,
            automated=automated,
            note=note[:300],
        )
    return opportunity


def _automated_stage(opportunity: Opportunity, automation: str) -> Stage | None:
    return Stage.objects.filter(
        company_id=opportunity.company_id, automation=automation, active=True
    ).first()


def opportunity_mark_quoted(*, user, opportunity: Opportunity, reference: str = "") -> bool:
    """A quote of the opportunity was sent: an open opportunity still before the company's
    "quoted" stage moves there. Returns whether it moved. Called by the quote code."""
    opportunity.refresh_from_db()
    stage = _automated_stage(opportunity, Automation.QUOTED)
    if stage is None or opportunity.status != OPEN:
        return False
    current = Stage.objects.get(pk=opportunity.stage_id)
    if (current.order, current.pk) >= (stage.order, stage.pk):
        return False
    opportunity_move(
        user=user,
        opportunity=opportunity,
        stage=stage,
        expected_version=opportunity.version,
        automated=_("Quote sent: %(ref)s") % {"ref": reference} if reference else _("Quote sent"),
    )
    return True


def opportunity_mark_won(*, user, opportunity: Opportunity, reference: str = "") -> bool:
    """An order was made from the opportunity's quote: it is won. Returns whether it moved."""
    opportunity.refresh_from_db()
    stage = (
        _automated_stage(opportunity, Automation.WON)
        or Stage.objects.filter(company_id=opportunity.company_id, status=WON, active=True)
        .order_by("order", "pk")
        .first()
    )
    if stage is None or opportunity.status == WON or not may_move(opportunity, stage):
        return False
    opportunity_move(
        user=user,
        opportunity=opportunity,
        stage=stage,
        expected_version=opportunity.version,
        automated=_("Order: %(ref)s") % {"ref": reference} if reference else _("Order made"),
    )
    return True
