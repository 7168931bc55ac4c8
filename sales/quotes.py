"""Quote services: made from an opportunity (its lines carried over, nothing typed twice),
numbered in the saving transaction, totals from the VAT summary; its lifecycle is one table
(``TRANSITIONS``) and one function (``quote_set_status``). Marking a quote sent moves its
opportunity to the company's "quoted" stage (``pipeline.opportunity_mark_quoted``)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import vat
from .models import Opportunity, Quote, QuoteEvent, QuoteLine, QuoteStatus
from .numbering import next_number
from .pipeline import opportunity_mark_quoted

DRAFT, SENT, ACCEPTED, REJECTED = (
    QuoteStatus.DRAFT,
    QuoteStatus.SENT,
    QuoteStatus.ACCEPTED,
    QuoteStatus.REJECTED,
)
TRANSITIONS = {
    DRAFT: frozenset({SENT}),
    SENT: frozenset({ACCEPTED, REJECTED}),
    ACCEPTED: frozenset(),
    REJECTED: frozenset(),
}


def _totals(quote: Quote) -> None:
    lines = quote.lines.values_list("vat_rate", "value")
    _rows, total = vat.summary(lines, quote.currency)
    quote.net_total, quote.vat_total, quote.gross_total = total.net, total.vat, total.gross


def quote_from_opportunity(*, user, opportunity: Opportunity, valid_until=None) -> Quote:
    """A draft quote of an open opportunity the user may change, with its lines as they are
    priced now. A deactivated product on the opportunity stops it with a message."""
    if not Opportunity.objects.editable_by(user).filter(pk=opportunity.pk).exists():
        raise PermissionDenied
    if not opportunity.is_open:
        raise ValidationError(_("A quote is made of an open opportunity."))
    lines = list(opportunity.lines.select_related("product"))
    if not lines:
        raise ValidationError(_("The opportunity has no lines to quote."))
    gone = [line.product.code for line in lines if not line.product.active]
    if gone:
        raise ValidationError(
            _("These products are no longer sold: %(codes)s. Change those lines first.")
            % {"codes": ", ".join(gone)}
        )
    today = timezone.localdate()
    quote = Quote(
        company_id=opportunity.company_id,
        owner=opportunity.owner,
        created_by=user,
        opportunity=opportunity,
        partner_id=opportunity.partner_id,
        contact_id=opportunity.contact_id,
        title=opportunity.name,
        currency=opportunity.currency,
        issued_on=today,
    )
    if valid_until is not None:
        quote.valid_until = valid_until
    with transaction.atomic():
        quote.number = next_number(company_id=quote.company_id, kind="quote", year=today.year)
        quote.full_clean(exclude=["owner", "company"])
        quote.save()
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                position=line.position,
                opportunity_line=line,
                product=line.product,
                name=line.description or line.product.name,
                quantity=line.quantity,
                unit=line.unit,
                vat_rate=line.vat_rate,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                value=line.value,
            )
            for line in lines
        )
        _totals(quote)
        quote.save(update_fields=["net_total", "vat_total", "gross_total"])
        QuoteEvent.objects.create(quote=quote, status=DRAFT, by=user)
    return quote


def quote_set_status(*, user, quote: Quote, status: str, note: str = "") -> Quote:
    """Moves a quote along ``TRANSITIONS`` and records it; a sent quote moves its opportunity
    to the "quoted" stage."""
    if not Quote.objects.editable_by(user).filter(pk=quote.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        current = Quote.objects.select_for_update().get(pk=quote.pk)
        if status not in TRANSITIONS[current.status]:
            raise ValidationError(
                _("A %(now)s quote cannot become %(new)s.")
                % {
                    "now": current.get_status_display().lower(),
                    "new": QuoteStatus(status).label.lower(),
                }
            )
        Quote.objects.filter(pk=quote.pk).update(status=status, updated_at=timezone.now())
        quote.status = status
        QuoteEvent.objects.create(quote=quote, status=status, by=user, note=note[:300])
        if status == SENT and quote.opportunity_id:
            opportunity_mark_quoted(user=user, opportunity=quote.opportunity, reference=str(quote))
    return quote
