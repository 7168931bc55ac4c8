"""Invoice services: an invoice of what a delivery handed over and is not invoiced yet, or of
what an order still has un-invoiced (an advance or a final invoice), its payment, and its
cancellation by a storno invoice. Nothing is typed twice: the lines come from the order.

Concurrency. Every write that changes how much of an order is invoiced first locks the order's
row (``SELECT … FOR UPDATE``), then reads the invoiced quantities afresh, then takes the number
(``sales.numbering`` locks the counter row) in the same transaction. Two users invoicing the
same delivery at once therefore queue on the order: the first one's invoice is made, the second
finds nothing left and is told which invoice took it, by whom; the lock order (order, invoice,
counter) is the same everywhere, so they never deadlock. A rolled-back save gives its number
back, so numbers never skip or repeat.

Lifecycle: ``TRANSITIONS`` for payment, ``invoice_cancel`` for the storno (lines negated, same
number series, the original marked cancelled), which frees the quantities for a new invoice."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.models import Company

from . import partner_status, vat
from .models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
    InvoiceSettings,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    VatRate,
)
from .numbering import next_number
from .pricing import round_money

ISSUED, PAID, CANCELLED = InvoiceStatus.ISSUED, InvoiceStatus.PAID, InvoiceStatus.CANCELLED
TRANSITIONS = {
    ISSUED: frozenset({PAID, CANCELLED}),
    PAID: frozenset({ISSUED, CANCELLED}),  # a payment booked by mistake is taken back
    CANCELLED: frozenset(),
}
ZERO = Decimal(0)


@dataclass
class Invoiceable:
    """What one line of a new invoice may take: of an order line, or of a delivery line."""

    order_line: OrderLine
    delivery_line: DeliveryLine | None
    limit: Decimal  # ordered (from an order) or delivered (from a delivery)
    invoiced: Decimal  # of that limit, already invoiced
    remaining: Decimal  # what this invoice may still take

    @property
    def key(self) -> int:
        """The id a form names the line by: the delivery line's, else the order line's."""
        return self.delivery_line.pk if self.delivery_line else self.order_line.pk


def _invoiced(lines, field: str) -> dict[int, tuple[Decimal, Decimal]]:
    """(quantity, value) already invoiced per ``field`` id; storno lines count negative."""
    rows = lines.values(field).annotate(q=Sum("quantity"), v=Sum("value"))
    return {row[field]: (row["q"] or ZERO, row["v"] or ZERO) for row in rows}


def invoiceable_from_order(order: Order) -> list[Invoiceable]:
    """Each order line with what is left to invoice of the ordered quantity."""
    done = _invoiced(InvoiceLine.objects.filter(order_line__order=order), "order_line")
    out = []
    for line in order.lines.select_related("product"):
        invoiced = done.get(line.pk, (ZERO, ZERO))[0]
        out.append(
            Invoiceable(line, None, line.quantity, invoiced, max(line.quantity - invoiced, ZERO))
        )
    return out


def invoiceable_from_delivery(delivery: Delivery) -> list[Invoiceable]:
    """Each delivery line with what is left to invoice of the delivered quantity; never more
    than its order line has un-invoiced (an advance invoice of the order counts)."""
    by_order_line = _invoiced(
        InvoiceLine.objects.filter(order_line__order_id=delivery.order_id), "order_line"
    )
    by_delivery_line = _invoiced(
        InvoiceLine.objects.filter(delivery_line__delivery=delivery), "delivery_line"
    )
    out = []
    for line in delivery.lines.select_related("order_line__product"):
        order_line = line.order_line
        invoiced = by_delivery_line.get(line.pk, (ZERO, ZERO))[0]
        left_on_order = order_line.quantity - by_order_line.get(order_line.pk, (ZERO, ZERO))[0]
        remaining = max(min(line.quantity - invoiced, left_on_order), ZERO)
        out.append(Invoiceable(order_line, line, line.quantity, invoiced, remaining))
    return out


def _who(invoices) -> str:
    """``SZ-2026-0001 (Kovács Anna, 2026. 12. 07. 17:45)``, for the messages that say which
    invoices took the quantities."""
    parts = []
    for invoice in invoices:
        by = invoice.created_by
        name = (by.get_full_name() or by.get_username()) if by else "–"
        at = date_format(timezone.localtime(invoice.created_at), "SHORT_DATETIME_FORMAT")
        parts.append(f"{invoice.number} ({name}, {at})")
    return ", ".join(parts)


def _live_invoices(**lookup):
    return (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, **lookup)
        .exclude(status=CANCELLED)
        .select_related("created_by")
        .order_by("pk")
    )


def _quantity(value) -> Decimal:
    from .numbers import parse_decimal

    try:
        amount = parse_decimal(value) if not isinstance(value, Decimal) else value
    except ValueError:
        raise ValidationError(_("Type a number, like 1 234,50.")) from None
    return amount


def _chosen(
    invoiceables: list[Invoiceable], quantities: dict | None, taken_by: str
) -> list[tuple[Invoiceable, Decimal]]:
    """The lines of the new invoice: ``quantities`` by line key (None: all that is left);
    refuses a negative quantity, an unknown line, and more than is left, naming the invoices
    that took the rest."""
    by_key = {item.key: item for item in invoiceables}
    if quantities is None:
        return [(item, item.remaining) for item in invoiceables if item.remaining > 0]
    unknown = set(quantities) - set(by_key)
    if unknown:
        raise ValidationError(_("A line of the form is not a line of this document any more."))
    chosen, errors = [], []
    for key, raw in quantities.items():
        item = by_key[key]
        amount = _quantity(raw)
        if amount < 0:
            errors.append(
                _("%(name)s: the quantity cannot be negative.") % {"name": item.order_line.name}
            )
        elif amount > item.remaining:
            message = _("%(name)s: at most %(left)s %(unit)s is left to invoice.") % {
                "name": item.order_line.name,
                "left": _number(item.remaining),
                "unit": item.order_line.unit,
            }
            if taken_by:
                message += " " + _("Already invoiced: %(invoices)s.") % {"invoices": taken_by}
            errors.append(message)
        elif amount > 0:
            chosen.append((item, amount))
    if errors:
        raise ValidationError(errors)
    chosen.sort(key=lambda pair: (pair[0].order_line.position, pair[0].order_line.pk))
    return chosen


def _number(amount: Decimal) -> str:
    from django.utils.formats import number_format

    text = f"{amount.normalize():f}"
    places = len(text.split(".")[1]) if "." in text else 0
    return number_format(amount, places, force_grouping=True)


def seller_of(company_id: int) -> tuple[Company, InvoiceSettings]:
    company = Company.objects.get(pk=company_id)
    settings = InvoiceSettings.objects.filter(company_id=company_id).first()
    if settings is None or not (settings.postcode and settings.city and settings.street):
        raise ValidationError(
            _(
                "Record %(company)s's seat address in the invoicing settings (admin) before the "
                "first invoice: an invoice must show it."
            )
            % {"company": company.name}
        )
    return company, settings


def _address(partner) -> str:
    """The partner's seat as an invoice prints it, with the country when it is abroad."""
    address = partner.address
    return f"{address}, {partner.country}" if partner.country != "HU" else address


def _buyer_problems(partner, rates: set[str]) -> list[str]:
    problems = []
    if partner.country == "HU" and not partner.tax_number:
        problems.append(
            _("Record the tax number of %(partner)s first: a Hungarian invoice must show it.")
            % {"partner": partner.name}
        )
    if not (partner.city and partner.street):
        problems.append(
            _("Record the address of %(partner)s first: an invoice must show it.")
            % {"partner": partner.name}
        )
    if VatRate.EU_SUPPLY in rates and not partner.eu_vat_number:
        problems.append(
            _(
                "An intra-community supply needs the buyer's EU VAT number: record it on "
                "%(partner)s first."
            )
            % {"partner": partner.name}
        )
    return problems


def huf_vat_rows(rows, rate: Decimal | None) -> list[tuple[str, Decimal]]:
    """The VAT of each row of the summary in whole forints at ``rate`` (HUF per unit)."""
    return [(row.rate, round_money(row.vat * rate, "HUF")) for row in rows] if rate else []


def _set_totals(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], invoice.currency)
    invoice.net_total, invoice.vat_total, invoice.gross_total = total.net, total.vat, total.gross
    if invoice.currency == "HUF":
        invoice.vat_total_huf = total.vat
    else:
        invoice.vat_total_huf = sum(
            (v for _rate, v in huf_vat_rows(rows, invoice.exchange_rate)), ZERO
        )


def _issue(
    *,
    user,
    order: Order,
    delivery: Delivery | None,
    chosen: list[tuple[Invoiceable, Decimal]],
    fulfilled_on: datetime.date,
    payment_method: str,
    due_on: datetime.date | None,
    exchange_rate: Decimal | None,
    notes: str,
) -> Invoice:
    """Inside the transaction that holds the order's lock: the invoice, its lines, totals,
    number and first event."""
    company, seller = seller_of(order.company_id)
    partner = order.partner
    problems = _buyer_problems(partner, {item.order_line.vat_rate for item, _a in chosen})
    if payment_method not in PaymentMethod.values:
        problems.append(_("Choose how the invoice is paid."))
    if order.currency != "HUF" and not exchange_rate:
        problems.append(
            _("An invoice in %(currency)s needs the exchange rate of the day (HUF).")
            % {"currency": order.currency}
        )
    if exchange_rate is not None and exchange_rate <= 0:
        problems.append(_("The exchange rate must be more than zero."))
    today = timezone.localdate()
    if due_on is None:
        days = seller.payment_days if payment_method == PaymentMethod.TRANSFER else 0
        due_on = today + datetime.timedelta(days=days)
    if due_on < today:
        problems.append(_("The due date cannot be before the day of issue."))
    if problems:
        raise ValidationError(problems)
    invoice = Invoice(
        company_id=order.company_id,
        owner_id=order.owner_id,
        created_by=user,
        kind=InvoiceKind.INVOICE,
        order=order,
        delivery=delivery,
        partner=partner,
        seller_name=company.name,
        seller_address=seller.address,
        seller_tax_number=company.tax_number,
        seller_eu_vat_number=seller.eu_vat_number,
        seller_bank_account=seller.bank_account,
        buyer_name=partner.name,
        buyer_address=_address(partner),
        buyer_tax_number=partner.tax_number or "",
        buyer_eu_vat_number=partner.eu_vat_number,
        currency=order.currency,
        exchange_rate=exchange_rate if order.currency != "HUF" else None,
        issued_on=today,
        fulfilled_on=fulfilled_on,
        due_on=due_on,
        payment_method=payment_method,
        notes=notes,
    )
    done = _invoiced(InvoiceLine.objects.filter(order_line__order=order), "order_line")
    lines = []
    for position, (item, amount) in enumerate(chosen, start=1):
        order_line = item.order_line
        invoiced_qty, invoiced_value = done.get(order_line.pk, (ZERO, ZERO))
        if amount == order_line.quantity - invoiced_qty:  # completes the line
            value = order_line.value - invoiced_value
        else:
            value = round_money(amount * order_line.unit_price, order.currency)
        lines.append(
            InvoiceLine(
                position=position,
                order_line=order_line,
                delivery_line=item.delivery_line,
                product_id=order_line.product_id,
                name=order_line.name,
                quantity=amount,
                unit=order_line.unit,
                vat_rate=order_line.vat_rate,
                unit_price=order_line.unit_price,
                discount_percent=order_line.discount_percent,
                value=value,
            )
        )
    _set_totals(invoice, lines)
    invoice.number = next_number(company_id=order.company_id, kind="invoice", year=today.year)
    invoice.full_clean(exclude=["owner", "company", "order", "delivery", "partner"])
    invoice.save()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    InvoiceEvent.objects.create(invoice=invoice, status=ISSUED, by=user)
    partner_status.invoice_recorded(invoice)  # turnover for the partner's status
    return invoice


def _may_invoice(user, model, pk) -> None:
    if not user.has_perm("sales.add_invoice"):
        raise PermissionDenied
    if not model.objects.visible_to(user).filter(pk=pk).exists():
        raise PermissionDenied


def invoice_from_delivery(
    *,
    user,
    delivery: Delivery,
    quantities: dict | None = None,
    payment_method: str = PaymentMethod.TRANSFER,
    due_on: datetime.date | None = None,
    exchange_rate: Decimal | None = None,
    notes: str = "",
) -> Invoice:
    """An invoice of what ``delivery`` handed over and is not invoiced yet: ``quantities`` by
    delivery line id (None: all that is left). Its fulfilment date is the delivery's."""
    _may_invoice(user, Delivery, delivery.pk)
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("partner")
            .get(pk=delivery.order_id)
        )
        delivery = Delivery.objects.get(pk=delivery.pk)  # its status as of the lock
        if delivery.status == DeliveryStatus.CANCELLED:
            raise ValidationError(_("A cancelled delivery is not invoiced."))
        if order.status == OrderStatus.CANCELLED:
            raise ValidationError(_("The order is cancelled: it is not invoiced."))
        invoiceables = invoiceable_from_delivery(delivery)
        taken = _who(_live_invoices(lines__delivery_line__delivery=delivery).distinct())
        chosen = _chosen(invoiceables, quantities, taken)
        if not chosen:
            if taken:
                raise ValidationError(
                    _("Delivery %(delivery)s has nothing left to invoice: see %(invoices)s.")
                    % {"delivery": delivery.number, "invoices": taken}
                )
            raise ValidationError(_("Give a quantity to invoice on at least one line."))
        return _issue(
            user=user,
            order=order,
            delivery=delivery,
            chosen=chosen,
            fulfilled_on=delivery.delivered_on,
            payment_method=payment_method,
            due_on=due_on,
            exchange_rate=exchange_rate,
            notes=notes,
        )


def invoice_from_order(
    *,
    user,
    order: Order,
    quantities: dict | None = None,
    fulfilled_on: datetime.date | None = None,
    payment_method: str = PaymentMethod.TRANSFER,
    due_on: datetime.date | None = None,
    exchange_rate: Decimal | None = None,
    notes: str = "",
) -> Invoice:
    """An invoice of what ``order`` has not invoiced yet, delivered or not (an advance
    invoice): ``quantities`` by order line id (None: all that is left)."""
    _may_invoice(user, Order, order.pk)
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",)).select_related("partner").get(pk=order.pk)
        )
        if order.status == OrderStatus.CANCELLED:
            raise ValidationError(_("The order is cancelled: it is not invoiced."))
        invoiceables = invoiceable_from_order(order)
        taken = _who(_live_invoices(order=order))
        chosen = _chosen(invoiceables, quantities, taken)
        if not chosen:
            if taken:
                raise ValidationError(
                    _("Order %(order)s has nothing left to invoice: see %(invoices)s.")
                    % {"order": order.number, "invoices": taken}
                )
            raise ValidationError(_("Give a quantity to invoice on at least one line."))
        return _issue(
            user=user,
            order=order,
            delivery=None,
            chosen=chosen,
            fulfilled_on=fulfilled_on or timezone.localdate(),
            payment_method=payment_method,
            due_on=due_on,
            exchange_rate=exchange_rate,
            notes=notes,
        )


def invoice_set_status(
    *, user, invoice: Invoice, status: str, paid_on: datetime.date | None = None, note: str = ""
) -> Invoice:
    """Marks an invoice paid (on ``paid_on``, today by default) or takes the payment back."""
    if not user.has_perm("sales.change_invoice"):
        raise PermissionDenied
    if not Invoice.objects.editable_by(user).filter(pk=invoice.pk).exists():
        raise PermissionDenied
    if status == CANCELLED:
        raise ValidationError(_("An invoice is cancelled with a storno invoice."))
    with transaction.atomic():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if current.is_storno:
            raise ValidationError(_("A storno invoice is settled with the invoice it cancels."))
        if status not in TRANSITIONS[current.status]:
            raise ValidationError(
                _("A %(now)s invoice cannot become %(new)s.")
                % {
                    "now": current.get_status_display().lower(),
                    "new": InvoiceStatus(status).label.lower()
                    if status in InvoiceStatus.values
                    else status,
                }
            )
        paid_on = (paid_on or timezone.localdate()) if status == PAID else None
        if paid_on and paid_on > timezone.localdate():
            raise ValidationError(_("The day of payment cannot be in the future."))
        Invoice.objects.filter(pk=invoice.pk).update(
            status=status, paid_on=paid_on, updated_at=timezone.now(), version=current.version + 1
        )
        invoice.status, invoice.paid_on = status, paid_on
        InvoiceEvent.objects.create(invoice=invoice, status=status, by=user, note=note[:300])
    return invoice


def invoice_cancel(*, user, invoice: Invoice, reason: str) -> Invoice:
    """Cancels ``invoice`` with a storno invoice: the next number of the same series, today's
    date, the original's fulfilment date, every line negated. The original becomes cancelled
    and its quantities can be invoiced again. Returns the storno invoice."""
    if not user.has_perm("sales.cancel_invoice"):
        raise PermissionDenied
    if not Invoice.objects.editable_by(user).filter(pk=invoice.pk).exists():
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the invoice is cancelled."))
    with transaction.atomic():
        Order.objects.select_for_update(of=("self",)).get(pk=invoice.order_id)
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.is_storno:
            raise ValidationError(_("A storno invoice is not cancelled."))
        if original.status == CANCELLED:
            storno = Invoice.objects.filter(storno_of=original).first()
            raise ValidationError(
                _("Invoice %(number)s is already cancelled by %(storno)s.")
                % {"number": original.number, "storno": storno.number if storno else "–"}
            )
        today = timezone.localdate()
        storno = Invoice(
            company_id=original.company_id,
            owner_id=original.owner_id,
            created_by=user,
            kind=InvoiceKind.STORNO,
            status=ISSUED,
            storno_of=original,
            order_id=original.order_id,
            delivery_id=original.delivery_id,
            partner_id=original.partner_id,
            currency=original.currency,
            exchange_rate=original.exchange_rate,
            issued_on=today,
            fulfilled_on=original.fulfilled_on,
            due_on=today,
            payment_method=original.payment_method,
            notes=reason[:1000],
            **{
                field: getattr(original, field)
                for field in (
                    "seller_name",
                    "seller_address",
                    "seller_tax_number",
                    "seller_eu_vat_number",
                    "seller_bank_account",
                    "buyer_name",
                    "buyer_address",
                    "buyer_tax_number",
                    "buyer_eu_vat_number",
                )
            },
        )
        lines = [
            InvoiceLine(
                position=line.position,
                order_line_id=line.order_line_id,
                delivery_line_id=line.delivery_line_id,
                product_id=line.product_id,
                name=line.name,
                quantity=-line.quantity,
                unit=line.unit,
                vat_rate=line.vat_rate,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                value=-line.value,
            )
            for line in original.lines.all()
        ]
        _set_totals(storno, lines)
        storno.number = next_number(company_id=storno.company_id, kind="invoice", year=today.year)
        storno.save()
        for line in lines:
            line.invoice = storno
        InvoiceLine.objects.bulk_create(lines)
        Invoice.objects.filter(pk=original.pk).update(
            status=CANCELLED, updated_at=timezone.now(), version=original.version + 1
        )
        invoice.status = CANCELLED
        InvoiceEvent.objects.create(
            invoice=original, status=CANCELLED, by=user, note=f"{storno.number}: {reason}"[:300]
        )
        InvoiceEvent.objects.create(invoice=storno, status=ISSUED, by=user, note=reason[:300])
        partner_status.invoice_withdrawn(original)
    return storno


def cancel_guard(record) -> str:
    """One of ``sales.orders.CANCEL_GUARDS``: an order or a delivery that live invoices (not
    cancelled by a storno) stand on is not cancelled; the reason names them."""
    if isinstance(record, Delivery):
        live = _who(_live_invoices(lines__delivery_line__delivery=record).distinct())
        message = _(
            "Delivery %(number)s is invoiced (%(invoices)s): cancel those invoices with a storno "
            "invoice first."
        )
    else:
        live = _who(_live_invoices(order=record))
        message = _(
            "Order %(number)s is invoiced (%(invoices)s): cancel those invoices with a storno "
            "invoice first."
        )
    return message % {"number": record.number, "invoices": live} if live else ""


def register() -> None:
    """Called from ``SalesConfig.ready()``: invoiced orders and deliveries stay."""
    from .orders import CANCEL_GUARDS

    if cancel_guard not in CANCEL_GUARDS:
        CANCEL_GUARDS.append(cancel_guard)


def invoiced_per_order_line(order_id: int) -> dict[int, Decimal]:
    """Quantities invoiced per order line (storno invoices subtracted): for the order's page."""
    return {
        pk: quantity
        for pk, (quantity, _value) in _invoiced(
            InvoiceLine.objects.filter(order_line__order_id=order_id), "order_line"
        ).items()
    }


def chain_invoices(**lookup) -> list[Invoice]:
    """The invoices of an order or a delivery (``order=…`` / ``delivery=…``), oldest first,
    for the chain's pages."""
    return list(Invoice.objects.filter(**lookup).order_by("pk"))


__all__ = [
    "TRANSITIONS",
    "Invoiceable",
    "cancel_guard",
    "chain_invoices",
    "huf_vat_rows",
    "invoice_cancel",
    "invoice_from_delivery",
    "invoice_from_order",
    "invoice_set_status",
    "invoiceable_from_delivery",
    "invoiceable_from_order",
    "invoiced_per_order_line",
    "register",
    "seller_of",
]
