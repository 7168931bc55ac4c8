"""Write operations on opportunities: create, change, their lines (priced by the rules or by
hand), and the call-back reminder (a task through the activities app). Stage moves are
``sales.pipeline``'s."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityType, Kind
from activities.services import activity_create
from crm.versioning import save_versioned
from partners.models import Partner
from partners.services import acting_company

from . import prices, pricing
from .models import Opportunity, OpportunityLine, Product, StageChange, Subcontractor
from .pipeline import OPEN, stages_of

EDITABLE_FIELDS = [
    "name",
    "contact",
    "source",
    "source_detail",
    "probability",
    "probability_set",
    "expected_close",
    "competitors",
    "description",
]


def _check_partner(user, partner_id: int) -> None:
    if not Partner.objects.visible_to(user).filter(pk=partner_id).exists():
        raise PermissionDenied


def opportunity_create(*, user, opportunity: Opportunity) -> Opportunity:
    """Records a new opportunity of ``user`` (its owner) in the user's current company, for a
    partner the user sees, in the company's first stage unless another open one is given."""
    _check_partner(user, opportunity.partner_id)
    opportunity.company = acting_company(user)
    stages = stages_of(opportunity.company.pk)
    if opportunity.stage_id is None or opportunity.stage not in stages:
        opportunity.stage = next(s for s in stages if s.status == OPEN)
    if opportunity.stage.status != OPEN:
        raise ValidationError({"stage": _("A new opportunity starts in an open stage.")})
    opportunity.status = OPEN
    if opportunity.probability is None:
        opportunity.probability = opportunity.stage.probability
    opportunity.probability_set = opportunity.probability != opportunity.stage.probability
    opportunity.owner = opportunity.owner if opportunity.owner_id else user
    opportunity.created_by = user
    opportunity.full_clean()
    with transaction.atomic():
        opportunity.save()
        StageChange.objects.create(
            opportunity=opportunity, to_stage=opportunity.stage, changed_by=user
        )
    return opportunity


def opportunity_update(*, user, opportunity: Opportunity, expected_version: int) -> Opportunity:
    """Saves the header's fields if nobody saved since ``expected_version``. A typed
    probability other than the stage's is kept until the next stage move."""
    opportunity.probability_set = opportunity.probability != opportunity.stage.probability
    opportunity.full_clean(exclude=["owner", "company", "partner", "stage"])
    save_versioned(opportunity, expected_version=expected_version, fields=EDITABLE_FIELDS)
    return opportunity


# ----------------------------------------------------------------------------- lines


def _pricing_inputs(opportunity: Opportunity, products) -> prices.Inputs:
    return prices.inputs(
        company_id=opportunity.company_id,
        partner_id=opportunity.partner_id,
        currency=opportunity.currency,
        day=timezone.localdate(),
        products=products,
    )


def _reprice(opportunity: Opportunity) -> None:
    """Prices again every line not priced by hand (a combination rule depends on the other
    lines), then the opportunity's value: their sum."""
    lines = list(opportunity.lines.select_related("product"))
    auto = [line for line in lines if not line.manual]
    if auto:
        inputs = _pricing_inputs(opportunity, {line.product for line in lines})
        products = frozenset(line.product_id for line in lines)
        for line in auto:
            priced_line = inputs.line(line.product, line.quantity)
            if priced_line is None:
                continue
            priced = pricing.price_line(
                priced_line,
                rules=inputs.rules,
                buyer=inputs.buyer,
                products=products,
                mode=inputs.mode,
                currency=opportunity.currency,
            )
            changed = (line.unit_price, line.value, line.price_source) != (
                priced.unit_price,
                priced.value,
                priced.source[:500],
            )
            if changed:
                line.base_price = priced.base_price
                line.unit_price = priced.unit_price
                line.discount_percent = priced.discount_percent
                line.value = priced.value
                line.price_source = priced.source[:500]
                line.save(
                    update_fields=[
                        "base_price",
                        "unit_price",
                        "discount_percent",
                        "value",
                        "price_source",
                    ]
                )
    total = opportunity.lines.aggregate(total=Sum("value"))["total"] or Decimal(0)
    Opportunity.objects.filter(pk=opportunity.pk).update(value=total)
    opportunity.value = total


def _check_line(*, opportunity, line: OpportunityLine, product_changed: bool) -> list:
    errors = {}
    if line.quantity is None or line.quantity <= 0:
        errors["quantity"] = _("The quantity must be more than zero.")
    if line.quantity_fulfilled is not None and line.quantity_fulfilled < 0:
        errors["quantity_fulfilled"] = _("The fulfilled quantity cannot be negative.")
    elif (
        line.quantity
        and line.quantity_fulfilled is not None
        and line.quantity_fulfilled > line.quantity
    ):
        errors["quantity_fulfilled"] = _("More cannot be fulfilled than was offered.")
    if product_changed and not line.product.active:
        errors["product"] = _(
            "%(product)s is no longer sold (deactivated); choose another product."
        ) % {"product": line.product}
    if errors:
        raise ValidationError(errors)


def line_save(
    *,
    user,
    opportunity: Opportunity,
    line: OpportunityLine,
    subcontractors=None,
    manual_price: Decimal | None = None,
    manual_discount: Decimal | None = None,
    reason: str = "",
) -> OpportunityLine:
    """Adds or changes a line of an open opportunity. The price comes from the price lists
    and discount rules, unless a unit price or a discount is typed: one that takes more off
    the rules' price than the company's limit needs the function "give discounts beyond the
    limit" and a reason. Subcontractors must be the company's."""
    if not opportunity.is_open:
        raise ValidationError(_("The opportunity is closed; its lines cannot be changed."))
    product_changed = line.pk is None or line.product_id != (
        OpportunityLine.objects.filter(pk=line.pk).values_list("product_id", flat=True).first()
    )
    _check_line(opportunity=opportunity, line=line, product_changed=product_changed)
    if manual_discount is not None and not (Decimal(0) <= manual_discount <= 100):
        raise ValidationError({"manual_discount": _("A discount is between 0 and 100 %.")})
    if manual_price is not None and manual_price < 0:
        raise ValidationError({"manual_price": _("A price cannot be negative.")})
    line.opportunity = opportunity
    line.unit = line.product.unit
    line.vat_rate = line.product.vat_rate
    others = list(opportunity.lines.exclude(pk=line.pk).values_list("product_id", flat=True))
    inputs = _pricing_inputs(opportunity, [line.product])
    priced_line = inputs.line(line.product, line.quantity)
    if priced_line is None:
        raise ValidationError(
            {
                "product": _("%(product)s has no price in %(currency)s.")
                % {"product": line.product, "currency": opportunity.currency}
            }
        )
    priced = pricing.price_line(
        priced_line,
        rules=inputs.rules,
        buyer=inputs.buyer,
        products=frozenset([*others, line.product_id]),
        mode=inputs.mode,
        currency=opportunity.currency,
    )
    line.base_price = priced.base_price
    if manual_price is None and manual_discount is None:
        line.manual, line.manual_reason, line.manual_by = False, "", None
        line.unit_price, line.value = priced.unit_price, priced.value
        line.discount_percent = priced.discount_percent
        line.price_source = priced.source[:500]
    else:
        manual = pricing.manual_price(
            base_price=priced.base_price,
            rules_price=priced.unit_price,
            quantity=line.quantity,
            currency=opportunity.currency,
            unit_price=manual_price,
            discount_percent=manual_discount,
        )
        if pricing.needs_approval(manual, inputs.limit):
            if not user.has_perm("sales.give_large_discount"):
                raise ValidationError(
                    {
                        "manual_price": _(
                            "This price is %(beyond)s %% below what the rules give; above "
                            "%(limit)s %% only users with the function 'Give discounts beyond "
                            "the limit' may set it. Ask your manager."
                        )
                        % {"beyond": manual.beyond_rules, "limit": inputs.limit}
                    }
                )
            if not reason.strip():
                raise ValidationError(
                    {
                        "reason": _("Say why the price is more than %(limit)s %% below the rules'.")
                        % {"limit": inputs.limit}
                    }
                )
        line.manual, line.manual_reason, line.manual_by = True, reason.strip()[:300], user
        line.unit_price, line.value = manual.unit_price, manual.value
        line.discount_percent = max(manual.discount_percent, Decimal(-999))
        line.price_source = _("Typed by %(user)s (rules: %(price)s)") % {
            "user": user.get_full_name() or user.username,
            "price": f"{priced.unit_price:f}",
        }
    if line.pk is None:
        line.position = (opportunity.lines.count() + 1) * 10
    line.full_clean(exclude=["opportunity", "subcontractors"])
    if subcontractors is not None:
        foreign = [s for s in subcontractors if s.company_id != opportunity.company_id]
        if foreign:
            raise ValidationError({"subcontractors": _("Choose the company's subcontractors.")})
    with transaction.atomic():
        line.save()
        if subcontractors is not None:
            line.subcontractors.set(subcontractors)
        _reprice(opportunity)
    return line


def line_delete(*, user, opportunity: Opportunity, line: OpportunityLine) -> None:
    if not opportunity.is_open:
        raise ValidationError(_("The opportunity is closed; its lines cannot be changed."))
    with transaction.atomic():
        line.delete()
        _reprice(opportunity)


def subcontractors_of(company_id: int):
    return Subcontractor.objects.filter(company_id=company_id, active=True).select_related(
        "partner"
    )


def active_products():
    return Product.objects.active().order_by("code")


# ----------------------------------------------------------------------------- call back


def callback_schedule(
    *, user, opportunity: Opportunity, on: datetime.datetime, note: str = ""
) -> Activity:
    """A task for ``user`` to call the partner back about the opportunity, planned through the
    activities app (its reminders, calendar and forced-closure rules apply)."""
    task_type = ActivityType.objects.filter(kind=Kind.TASK, active=True).order_by("order").first()
    if task_type is None:
        raise ValidationError(_("There is no task type to plan the call back with."))
    subject = _("Call back: %(name)s") % {"name": opportunity.name}
    activity = Activity(
        type=task_type,
        partner_id=opportunity.partner_id,
        contact_id=opportunity.contact_id,
        subject=subject[:200],
        starts_at=on,
        deadline=timezone.localdate(on),
        description=note,
    )
    return activity_create(user=user, activity=activity)
