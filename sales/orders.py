"""Order and delivery services (issue 25, item 5): an order made from an accepted quote in one
step (its lines carried over, nothing typed twice; the opportunity becomes won through
``pipeline.opportunity_mark_won``), edited while nothing is delivered, and delivered in parts.

The order's lifecycle is one table (``TRANSITIONS``) and one function (``_set_status``); after
every delivery or cancelled delivery the status follows the lines' delivered quantities
(``status_for``). A delivery locks the order and its lines (``SELECT … FOR UPDATE``) before it
reads what remains, so two deliveries at once queue and cannot deliver more than was ordered;
the database's check constraint on ``quantity_delivered`` stands behind that.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.versioning import save_versioned

from . import partner_status, vat
from .models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    OpportunityLine,
    Order,
    OrderLine,
    OrderStatus,
    Quote,
    QuoteStatus,
)
from .numbering import next_number
from .pipeline import opportunity_mark_won
from .pricing import round_money
from .templatetags.sales_tags import qty

OPEN, PARTLY, DELIVERED, CANCELLED = (
    OrderStatus.OPEN,
    OrderStatus.PARTLY_DELIVERED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)
# status now → the statuses it may become. A cancelled delivery can take an order back.
TRANSITIONS = {
    OPEN: frozenset({PARTLY, DELIVERED, CANCELLED}),
    PARTLY: frozenset({OPEN, PARTLY, DELIVERED}),
    DELIVERED: frozenset({OPEN, PARTLY}),
    CANCELLED: frozenset(),
}
# What later parts of the chain say before an order or a delivery is cancelled (invoices: an
# invoiced delivery stays): each guard takes the locked record and returns the reason to refuse,
# or "". Registered from ``AppConfig.ready()`` or the module that invoices.
CANCEL_GUARDS: list = []
HEADER_FIELDS = [
    "title",
    "contact",
    "customer_reference",
    "requested_delivery_on",
    "delivery_address",
    "notes",
]


def _totals(order: Order, lines) -> None:
    _rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], order.currency)
    order.net_total, order.vat_total, order.gross_total = total.net, total.vat, total.gross


def _check_guards(record) -> None:
    reasons = [reason for guard in CANCEL_GUARDS if (reason := guard(record))]
    if reasons:
        raise ValidationError(reasons)


def status_for(lines) -> str:
    """What the delivered quantities of the lines make of an order's status."""
    lines = list(lines)
    if lines and all(line.quantity_delivered >= line.quantity for line in lines):
        return DELIVERED
    if any(line.quantity_delivered > 0 for line in lines):
        return PARTLY
    return OPEN


def _set_status(order: Order, status: str) -> None:
    """Checks a move along ``TRANSITIONS``; the caller saves (its history records who)."""
    if status == order.status:
        return
    if status not in TRANSITIONS[order.status]:
        raise ValidationError(
            _("A %(now)s order cannot become %(new)s.")
            % {
                "now": OrderStatus(order.status).label.lower(),
                "new": OrderStatus(status).label.lower(),
            }
        )
    order.status = status


def _may_change(user, order: Order) -> None:
    if not user.has_perm("sales.change_order"):
        raise PermissionDenied
    if not Order.objects.editable_by(user).filter(pk=order.pk).exists():
        raise PermissionDenied


def order_from_quote(*, user, quote: Quote) -> Order:
    """The order of an accepted quote the user may change: its lines copied as they were
    quoted, numbered in the saving transaction, and the quote's opportunity marked won.
    A constant number of queries whatever the number of lines. A second order of the same
    quote is refused (the quote row is locked while it is checked)."""
    if not user.has_perm("sales.add_order"):
        raise PermissionDenied
    if not Quote.objects.editable_by(user).filter(pk=quote.pk).exists():
        raise PermissionDenied
    today = timezone.localdate()
    with transaction.atomic():
        quote = (
            Quote.objects.select_for_update(of=("self",)).select_related("partner").get(pk=quote.pk)
        )
        if quote.status != QuoteStatus.ACCEPTED:
            raise ValidationError(
                _("An order is made of an accepted quote; this one is %(status)s.")
                % {"status": quote.get_status_display().lower()}
            )
        existing = Order.objects.filter(quote=quote).exclude(status=CANCELLED).values_list("number")
        if existing:
            raise ValidationError(
                _("Order %(number)s was already made from this quote.") % {"number": existing[0][0]}
            )
        lines = list(quote.lines.all())
        if not lines:
            raise ValidationError(_("The quote has no lines to order."))
        order = Order(
            company_id=quote.company_id,
            owner_id=quote.owner_id,
            created_by=user,
            quote=quote,
            opportunity_id=quote.opportunity_id,
            partner_id=quote.partner_id,
            contact_id=quote.contact_id,
            title=quote.title,
            currency=quote.currency,
            ordered_on=today,
            delivery_address=quote.partner.address,
            notes=quote.notes,
        )
        order_lines = [
            OrderLine(
                position=line.position,
                quote_line_id=line.pk,
                opportunity_line_id=line.opportunity_line_id,
                product_id=line.product_id,
                name=line.name,
                quantity=line.quantity,
                unit=line.unit,
                vat_rate=line.vat_rate,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                value=line.value,
            )
            for line in lines
        ]
        _totals(order, order_lines)
        order.number = next_number(company_id=order.company_id, kind="order", year=today.year)
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            raise ValidationError(_("An order was already made from this quote.")) from None
        for line in order_lines:
            line.order = order
        OrderLine.objects.bulk_create(order_lines)
        partner_status.order_recorded(order)  # the partner is active (partners.status)
        if quote.opportunity_id:
            opportunity_mark_won(user=user, opportunity=quote.opportunity, reference=order.number)
    return order


def order_update(
    *, user, order: Order, expected_version: int, quantities: dict | None = None
) -> Order:
    """Saves the header fields of ``order`` (``HEADER_FIELDS``) and, while nothing is
    delivered, the lines' new quantities (``{line id: quantity}``; zero removes a line, one
    line must stay). A newer save since ``expected_version`` raises ``Conflict``."""
    _may_change(user, order)
    if order.status == CANCELLED:
        raise ValidationError(_("A cancelled order cannot be changed."))
    if order.contact_id and order.contact.partner_id != order.partner_id:
        raise ValidationError({"contact": _("The contact belongs to another partner.")})
    order.full_clean(exclude=["owner", "company", "partner", "quote", "opportunity"])
    fields = list(HEADER_FIELDS)
    with transaction.atomic():
        # the order first, then its lines: the order deliveries lock them in
        now = Order.objects.select_for_update().filter(pk=order.pk).values("status", "version")
        now = now.first()
        if now is not None and now["version"] != expected_version:
            # a newer save (an edit, a delivery) came first: Conflict says who and what
            save_versioned(order, expected_version=expected_version, fields=fields)
        if now is not None and now["status"] == CANCELLED:
            raise ValidationError(_("A cancelled order cannot be changed."))
        if quantities:
            lines = list(OrderLine.objects.select_for_update().filter(order=order))
            by_id = {line.pk: line for line in lines}
            unknown = set(quantities) - set(by_id)
            if unknown:
                raise ValidationError(_("A line of another order was given."))
            changed = {pk: q for pk, q in quantities.items() if q != by_id[pk].quantity}
            if changed:
                if any(line.quantity_delivered for line in lines):
                    raise ValidationError(
                        _("Part of the order is delivered: its lines cannot be changed any more.")
                    )
                errors = []
                for pk, quantity in changed.items():
                    if quantity is None or quantity < 0:
                        errors.append(
                            _("%(line)s: the quantity cannot be negative.")
                            % {"line": by_id[pk].name}
                        )
                if errors:
                    raise ValidationError(errors)
                removed = [pk for pk, q in changed.items() if q == 0]
                if len(removed) == len(lines):
                    raise ValidationError(
                        _("An order keeps at least one line; cancel the order instead.")
                    )
                kept = []
                for line in lines:
                    if line.pk in removed:
                        continue
                    if line.pk in changed:
                        line.quantity = changed[line.pk]
                        line.value = round_money(line.quantity * line.unit_price, order.currency)
                    kept.append(line)
                OrderLine.objects.filter(pk__in=removed).delete()
                OrderLine.objects.bulk_update(
                    [line for line in kept if line.pk in changed], ["quantity", "value"]
                )
                _totals(order, kept)
                fields += ["net_total", "vat_total", "gross_total"]
        save_versioned(order, expected_version=expected_version, fields=fields)
    return order


def order_cancel(*, user, order: Order, expected_version: int) -> Order:
    """Cancels an order of which nothing is delivered (a cancelled delivery counts as none)."""
    _may_change(user, order)
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if current.lines.filter(quantity_delivered__gt=0).exists():
            raise ValidationError(_("Part of the order is delivered; cancel its deliveries first."))
        _set_status(current, CANCELLED)
        _check_guards(current)
        order.status = CANCELLED
        save_versioned(order, expected_version=expected_version, fields=["status"])
        partner_status.order_withdrawn(order)
    return order


def delivery_create(
    *,
    user,
    order: Order,
    quantities: dict,
    delivered_on=None,
    received_by: str = "",
    notes: str = "",
) -> Delivery:
    """A delivery of ``quantities`` (``{order line id: quantity}``; zero lines are left
    out) of ``order``. Each must be more than zero and at most what remains of its line, read
    after the order and its lines are locked, so concurrent deliveries queue here."""
    if not user.has_perm("sales.add_delivery"):
        raise PermissionDenied
    _may_change(user, order)
    errors = []
    wanted = {}
    for pk, quantity in quantities.items():
        if quantity is None:
            continue
        if quantity < 0:
            errors.append(_("A delivered quantity cannot be negative."))
        elif quantity > 0:
            wanted[pk] = quantity
    if errors:
        raise ValidationError(errors[:1])
    if not wanted:
        raise ValidationError(_("Give the quantity delivered of at least one line."))
    today = timezone.localdate()
    delivered_on = delivered_on or today
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if current.status == CANCELLED:
            raise ValidationError(_("The order is cancelled; nothing can be delivered of it."))
        lines = list(OrderLine.objects.select_for_update().filter(order=current))
        by_id = {line.pk: line for line in lines}
        if set(wanted) - set(by_id):
            raise ValidationError(_("A line of another order was given."))
        for pk, quantity in wanted.items():
            line = by_id[pk]
            remaining = line.quantity - line.quantity_delivered
            if quantity > remaining:
                errors.append(
                    _(
                        "%(line)s: %(remaining)s %(unit)s remains to be delivered, "
                        "%(quantity)s %(unit)s cannot be."
                    )
                    % {
                        "line": line.name,
                        "remaining": qty(remaining),
                        "quantity": qty(quantity),
                        "unit": line.unit,
                    }
                )
        if errors:
            raise ValidationError(errors)
        delivery = Delivery(
            company_id=current.company_id,
            owner_id=current.owner_id,
            created_by=user,
            order=current,
            partner_id=current.partner_id,
            delivered_on=delivered_on,
            received_by=received_by.strip()[:200],
            notes=notes,
        )
        delivery.number = next_number(
            company_id=current.company_id, kind="delivery", year=delivered_on.year
        )
        delivery.full_clean(exclude=["owner", "company", "order", "partner"])
        delivery.save()
        DeliveryLine.objects.bulk_create(
            DeliveryLine(delivery=delivery, order_line_id=pk, quantity=quantity)
            for pk, quantity in wanted.items()
        )
        _deliver(current, lines, wanted)
    order.refresh_from_db()
    return delivery


def _deliver(order: Order, lines: list, change: dict) -> None:
    """Adds ``change`` (``{line id: quantity}``, negative to give back) to the lines'
    delivered quantities and to their opportunity lines' fulfilled ones; the order's status
    follows. Runs with the order and its lines locked."""
    touched = []
    for line in lines:
        if line.pk in change:
            line.quantity_delivered += change[line.pk]
            touched.append(line)
    OrderLine.objects.bulk_update(touched, ["quantity_delivered"])
    fulfilled = {}
    for line in touched:
        if line.opportunity_line_id:
            fulfilled[line.opportunity_line_id] = (
                fulfilled.get(line.opportunity_line_id, Decimal(0)) + change[line.pk]
            )
    if fulfilled:
        opportunity_lines = list(
            OpportunityLine.objects.select_for_update().filter(pk__in=list(fulfilled))
        )
        for opportunity_line in opportunity_lines:
            opportunity_line.quantity_fulfilled = min(
                opportunity_line.quantity,
                max(
                    Decimal(0), opportunity_line.quantity_fulfilled + fulfilled[opportunity_line.pk]
                ),
            )
        OpportunityLine.objects.bulk_update(opportunity_lines, ["quantity_fulfilled"])
    _set_status(order, status_for(lines))
    Order.objects.filter(pk=order.pk).update(
        status=order.status, version=F("version") + 1, updated_at=timezone.now()
    )


def delivery_cancel(*, user, delivery: Delivery, reason: str = "") -> Delivery:
    """Cancels a delivery (recorded in error): its quantities go back to the order."""
    if not user.has_perm("sales.change_delivery"):
        raise PermissionDenied
    if not Delivery.objects.editable_by(user).filter(pk=delivery.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=delivery.order_id)
        current = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if current.status == DeliveryStatus.CANCELLED:
            raise ValidationError(_("The delivery is already cancelled."))
        _check_guards(current)
        lines = list(OrderLine.objects.select_for_update().filter(order=order))
        change = {
            line.order_line_id: -line.quantity
            for line in DeliveryLine.objects.filter(delivery=current)
        }
        note = reason.strip()
        Delivery.objects.filter(pk=current.pk).update(
            status=DeliveryStatus.CANCELLED,
            notes=f"{current.notes}\n{note}".strip() if note else current.notes,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        _deliver(order, lines, change)
    delivery.refresh_from_db()
    return delivery
