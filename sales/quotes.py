"""Quote services: made from an opportunity (its lines carried over, nothing typed twice) or
from scratch for a partner, numbered in the saving transaction, totals from the VAT summary.

A draft is edited (its header with the version check, its lines priced by the price lists and
discount rules as the opportunity's are, a hand-typed price beyond the company's limit needing
the function and a reason: ``sales.pricing``). A sent or rejected quote gets a new version:
revision n+1 under the same number, its lines copied, the old one superseded. Sending mails
the PDF drawn by the document generator through the outbox and records the send on the quote
and on the partner's timeline.

The lifecycle is one table (``TRANSITIONS``) and one function (``quote_set_status``); marking a
quote sent moves its opportunity to the company's "quoted" stage
(``pipeline.opportunity_mark_quoted``)."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from crm.templating import hungarian_date, hungarian_number
from crm.versioning import save_versioned
from partners.models import Partner
from partners.services import acting_company

from . import prices, pricing, vat
from .models import LostReason, Opportunity, Quote, QuoteEvent, QuoteLine, QuoteStatus
from .numbering import next_number
from .pipeline import opportunity_mark_quoted

DRAFT, SENT, ACCEPTED, REJECTED, SUPERSEDED = (
    QuoteStatus.DRAFT,
    QuoteStatus.SENT,
    QuoteStatus.ACCEPTED,
    QuoteStatus.REJECTED,
    QuoteStatus.SUPERSEDED,
)
TRANSITIONS = {
    DRAFT: frozenset({SENT}),
    SENT: frozenset({ACCEPTED, REJECTED, SUPERSEDED}),
    ACCEPTED: frozenset(),
    REJECTED: frozenset({SUPERSEDED}),
    SUPERSEDED: frozenset(),
}
# the moves a user makes with a button (superseding is the new version's doing)
DECISIONS = (SENT, ACCEPTED, REJECTED)
HEADER_FIELDS = ["title", "contact", "valid_until", "notes"]
VALID_DAYS = 30


def _totals(quote: Quote) -> None:
    lines = quote.lines.values_list("vat_rate", "value")
    _rows, total = vat.summary(lines, quote.currency)
    quote.net_total, quote.vat_total, quote.gross_total = total.net, total.vat, total.gross


def _save_totals(quote: Quote) -> None:
    _totals(quote)
    Quote.objects.filter(pk=quote.pk).update(
        net_total=quote.net_total,
        vat_total=quote.vat_total,
        gross_total=quote.gross_total,
        updated_at=timezone.now(),
    )


def _check_editable(user, quote: Quote) -> None:
    if not Quote.objects.editable_by(user).filter(pk=quote.pk).exists():
        raise PermissionDenied


def _check_draft(quote: Quote) -> None:
    if quote.status != DRAFT:
        raise ValidationError(
            _(
                "Only a draft quote can be changed; this one is %(status)s. Make a new version "
                "of it instead."
            )
            % {"status": quote.get_status_display().lower()}
        )


def deactivated_codes(quote: Quote) -> list[str]:
    """The codes of the products on the quote that are no longer sold."""
    return list(
        quote.lines.filter(product__active=False)
        .order_by("position", "pk")
        .values_list("product__code", flat=True)
    )


def _check_products(quote: Quote, status: str) -> None:
    """A quote is not sent nor accepted with a product that is no longer sold."""
    codes = deactivated_codes(quote)
    if not codes:
        return
    if status == SENT:
        message = _(
            "These products are no longer sold (deactivated): %(codes)s. Replace or remove "
            "those lines before sending the quote."
        )
    else:
        message = _(
            "These products were deactivated since the quote was sent: %(codes)s. Make a new "
            "version of the quote without them, or have the product reactivated, before "
            "accepting it."
        )
    raise ValidationError(message % {"codes": ", ".join(dict.fromkeys(codes))}, code="inactive")


def expired_on(quote: Quote):
    """The day a draft's validity ran out, if it did (it cannot be sent so)."""
    return quote.valid_until if quote.valid_until < timezone.localdate() else None


def _check_validity(quote: Quote) -> None:
    if day := expired_on(quote):
        raise ValidationError(
            _("The quote expired on %(day)s; set a later validity date before sending it.")
            % {"day": hungarian_date(day)},
            code="expired",
        )


# ----------------------------------------------------------------------------- making


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
        valid_until=today + datetime.timedelta(days=VALID_DAYS),
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
                base_price=line.base_price,
                price_source=line.price_source,
                manual=line.manual,
                manual_reason=line.manual_reason,
                manual_by_id=line.manual_by_id,
            )
            for line in lines
        )
        _totals(quote)
        quote.save(update_fields=["net_total", "vat_total", "gross_total"])
        QuoteEvent.objects.create(quote=quote, status=DRAFT, by=user)
    return quote


def quote_create(*, user, quote: Quote) -> Quote:
    """A draft quote from scratch (no opportunity) for a partner the user sees, in the user's
    current company, owned by the user; its lines are added afterwards."""
    if not Partner.objects.visible_to(user).filter(pk=quote.partner_id).exists():
        raise PermissionDenied
    today = timezone.localdate()
    quote.company = acting_company(user)
    quote.owner = user
    quote.created_by = user
    quote.opportunity = None
    quote.status = DRAFT
    quote.issued_on = today
    if quote.valid_until is None:
        quote.valid_until = today + datetime.timedelta(days=VALID_DAYS)
    quote.number = "-"  # checked below, given in the saving transaction
    quote.full_clean(exclude=["owner", "company"])
    with transaction.atomic():
        quote.number = next_number(company_id=quote.company.pk, kind="quote", year=today.year)
        quote.save()
        QuoteEvent.objects.create(quote=quote, status=DRAFT, by=user)
    return quote


def quote_update(*, user, quote: Quote, expected_version: int) -> Quote:
    """Saves a draft's header (title, contact, validity, notes) if nobody saved since
    ``expected_version`` (``crm.versioning.Conflict`` otherwise)."""
    _check_editable(user, quote)
    quote.status = (
        Quote.objects.filter(pk=quote.pk).values_list("status", flat=True).first() or quote.status
    )
    _check_draft(quote)
    quote.full_clean(exclude=["owner", "company", "partner"])
    save_versioned(quote, expected_version=expected_version, fields=HEADER_FIELDS)
    return quote


# ----------------------------------------------------------------------------- lines


def _inputs(quote: Quote, products) -> prices.Inputs:
    return prices.inputs(
        company_id=quote.company_id,
        partner_id=quote.partner_id,
        currency=quote.currency,
        day=timezone.localdate(),
        products=products,
    )


def _reprice(quote: Quote) -> None:
    """Prices again the lines not priced by hand (a combination rule depends on the other
    lines), then the totals."""
    lines = list(quote.lines.select_related("product"))
    auto = [line for line in lines if not line.manual]
    if auto:
        inputs = _inputs(quote, {line.product for line in lines})
        products = frozenset(line.product_id for line in lines)
        changed = []
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
                currency=quote.currency,
            )
            now = (priced.unit_price, priced.value, priced.source[:500])
            if (line.unit_price, line.value, line.price_source) != now:
                line.base_price = priced.base_price
                line.unit_price, line.value, line.price_source = now
                line.discount_percent = priced.discount_percent
                changed.append(line)
        if changed:
            QuoteLine.objects.bulk_update(
                changed, ["base_price", "unit_price", "discount_percent", "value", "price_source"]
            )
    _save_totals(quote)


def _check_line(line: QuoteLine, *, product_changed: bool, manual_price, manual_discount):
    errors = {}
    if line.quantity is None or line.quantity <= 0:
        errors["quantity"] = _("The quantity must be more than zero.")
    if product_changed and not line.product.active:
        errors["product"] = _(
            "%(product)s is no longer sold (deactivated); choose another product."
        ) % {"product": line.product}
    if manual_discount is not None and not (Decimal(0) <= manual_discount <= 100):
        errors["manual_discount"] = _("A discount is between 0 and 100 %.")
    if manual_price is not None and manual_price < 0:
        errors["manual_price"] = _("A price cannot be negative.")
    if errors:
        raise ValidationError(errors)


def quote_line_save(
    *,
    user,
    quote: Quote,
    line: QuoteLine,
    manual_price: Decimal | None = None,
    manual_discount: Decimal | None = None,
    reason: str = "",
) -> QuoteLine:
    """Adds or changes a line of a draft quote. The price comes from the price lists and the
    discount rules (of the quote's partner and currency, today), unless a unit price or a
    discount is typed: one that takes more off the rules' price than the company's limit
    needs the function "give discounts beyond the limit" and a reason, as on opportunities."""
    _check_editable(user, quote)
    _check_draft(quote)
    previous = (
        QuoteLine.objects.filter(pk=line.pk, quote=quote).values_list("product_id", flat=True)
        if line.pk
        else []
    )
    product_changed = line.pk is None or line.product_id not in list(previous)
    _check_line(
        line,
        product_changed=product_changed,
        manual_price=manual_price,
        manual_discount=manual_discount,
    )
    product = line.product
    line.quote = quote
    line.unit = product.unit
    line.vat_rate = product.vat_rate
    if product_changed or not line.name.strip():
        line.name = line.name.strip() if line.name.strip() and line.pk is None else product.name
    inputs = _inputs(quote, [product])
    priced_line = inputs.line(product, line.quantity)
    if priced_line is None:
        raise ValidationError(
            {
                "product": _("%(product)s has no price in %(currency)s.")
                % {"product": product, "currency": quote.currency}
            }
        )
    others = list(quote.lines.exclude(pk=line.pk).values_list("product_id", flat=True))
    priced = pricing.price_line(
        priced_line,
        rules=inputs.rules,
        buyer=inputs.buyer,
        products=frozenset([*others, product.pk]),
        mode=inputs.mode,
        currency=quote.currency,
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
            currency=quote.currency,
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
            "price": hungarian_number(
                priced.unit_price, 0 if priced.unit_price == priced.unit_price.to_integral() else 2
            ),
        }
    with transaction.atomic():
        locked = Quote.objects.select_for_update().filter(pk=quote.pk)
        quote.status = locked.values_list("status", flat=True).first() or quote.status
        _check_draft(quote)
        if line.pk is None:
            top = quote.lines.aggregate(top=Max("position"))["top"] or 0
            line.position = top + 10
        line.full_clean(exclude=["quote", "opportunity_line"])
        line.save()
        _reprice(quote)
    return line


def quote_line_delete(*, user, quote: Quote, line: QuoteLine) -> None:
    _check_editable(user, quote)
    _check_draft(quote)
    with transaction.atomic():
        line.delete()
        _reprice(quote)


# ----------------------------------------------------------------------------- status


def quote_set_status(
    *,
    user,
    quote: Quote,
    status: str,
    note: str = "",
    reason: str = "",
    message=None,
    document=None,
) -> Quote:
    """Moves a quote along ``TRANSITIONS`` and records it; a sent quote moves its opportunity
    to the "quoted" stage. A rejection needs its reason; a quote holding a deactivated product
    is neither sent nor accepted."""
    if not Quote.objects.editable_by(user).filter(pk=quote.pk).exists():
        raise PermissionDenied
    if status not in QuoteStatus.values:
        raise ValidationError(_("Choose what happened to the quote."))
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
        if status == SENT and not current.lines.exists():
            raise ValidationError(_("Add at least one line before sending the quote."))
        if status == SENT:
            _check_validity(current)
        if status in (SENT, ACCEPTED):
            _check_products(current, status)
        changes = {"status": status, "updated_at": timezone.now()}
        if status == REJECTED:
            # the screens ask for the reason (``QuoteDecisionForm``); a caller without one
            # records "other"
            changes |= {
                "rejection_reason": reason or LostReason.OTHER,
                "decision_note": note[:300],
            }
        elif status == ACCEPTED:
            changes["decision_note"] = note[:300]
        Quote.objects.filter(pk=quote.pk).update(**changes)
        for name, value in changes.items():
            setattr(quote, name, value)
        QuoteEvent.objects.create(
            quote=quote,
            status=status,
            by=user,
            note=note[:300],
            message=message,
            document=document,
        )
        if status == SENT and quote.opportunity_id:
            opportunity_mark_quoted(user=user, opportunity=quote.opportunity, reference=str(quote))
    return quote


# ----------------------------------------------------------------------------- versions


def quote_new_version(*, user, quote: Quote) -> Quote:
    """Revision n+1 of a sent or rejected quote: the same number, its header and lines
    copied as they were, a new issue day and validity; the old one is superseded. Two clicks
    at once make one new version (the second is told)."""
    _check_editable(user, quote)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            current = Quote.objects.select_for_update().get(pk=quote.pk)
            if SUPERSEDED not in TRANSITIONS[current.status]:
                if current.status == SUPERSEDED:
                    raise ValidationError(_("This quote has a newer version already."))
                raise ValidationError(
                    _("A new version is made of a sent or rejected quote; this one is %(status)s.")
                    % {"status": current.get_status_display().lower()}
                )
            top = Quote.objects.filter(
                company_id=current.company_id, number=current.number
            ).aggregate(top=Max("revision"))["top"]
            validity = max((current.valid_until - current.issued_on).days, 1)
            new = Quote(
                company_id=current.company_id,
                owner_id=current.owner_id,
                created_by=user,
                number=current.number,
                revision=top + 1,
                replaces=current,
                opportunity_id=current.opportunity_id,
                partner_id=current.partner_id,
                contact_id=current.contact_id,
                title=current.title,
                currency=current.currency,
                issued_on=today,
                valid_until=today + datetime.timedelta(days=validity),
                notes=current.notes,
            )
            Quote.objects.filter(pk=current.pk).update(status=SUPERSEDED, updated_at=timezone.now())
            new.save()
            QuoteLine.objects.bulk_create(
                QuoteLine(
                    quote=new,
                    position=line.position,
                    opportunity_line_id=line.opportunity_line_id,
                    product_id=line.product_id,
                    name=line.name,
                    quantity=line.quantity,
                    unit=line.unit,
                    vat_rate=line.vat_rate,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    value=line.value,
                    base_price=line.base_price,
                    price_source=line.price_source,
                    manual=line.manual,
                    manual_reason=line.manual_reason,
                    manual_by_id=line.manual_by_id,
                )
                for line in current.lines.all()
            )
            _save_totals(new)
            QuoteEvent.objects.create(
                quote=current,
                status=SUPERSEDED,
                by=user,
                note=_("Replaced by version %(revision)s.") % {"revision": new.revision},
            )
            QuoteEvent.objects.create(
                quote=new,
                status=DRAFT,
                by=user,
                note=_("Version %(revision)s, made of %(old)s.")
                % {"revision": new.revision, "old": current},
            )
    except IntegrityError:
        raise ValidationError(_("This quote has a newer version already.")) from None
    quote.status = SUPERSEDED
    return new


def versions_of(quote: Quote):
    """Every version of the quote (same company and number), newest first."""
    return Quote.objects.filter(company_id=quote.company_id, number=quote.number).order_by(
        "-revision"
    )


# ----------------------------------------------------------------------------- mail


def pdf_templates(user, quote: Quote):
    """The PDF templates the user may draw the quote with: HTML templates of the quote's
    company that the user reads, offer templates first."""
    from documents.generator_models import DocumentTemplate, Engine
    from documents.models import DocumentType

    rows = DocumentTemplate.objects.readable_by(user).filter(
        company_id=quote.company_id, engine=Engine.HTML
    )
    templates = list(rows.order_by("name", "pk"))
    return sorted(templates, key=lambda t: t.output_type != DocumentType.OFFER)


def mail_defaults(*, user, quote: Quote) -> dict:
    """The send form's first values: the contact's address, a subject and a short letter."""
    contact = quote.contact
    greeting = (
        _("Dear %(name)s,") % {"name": contact.full_name} if contact else _("Dear Sir or Madam,")
    )
    body = "\n\n".join(
        [
            greeting,
            _(
                "Please find attached our quote %(number)s (%(title)s), valid until %(day)s. "
                "We are glad to answer any question."
            )
            % {
                "number": quote,
                "title": quote.title,
                "day": hungarian_date(quote.valid_until),
            },
            _("Kind regards,") + "\n" + (user.get_full_name() or user.username),
        ]
    )
    return {
        "recipient": contact.email if contact else "",
        "subject": _("Quote %(number)s: %(title)s") % {"number": quote, "title": quote.title},
        "body": body,
    }


def _record_on_timeline(*, user, quote: Quote, message, document):
    """The send as a closed e-mail activity on the partner's timeline (the activities app's
    ``activity_record``), the PDF linked to it. Without an e-mail activity type the user may
    use, only the quote's own history records it."""
    from activities.models import Activity, ActivityType, Outcome
    from activities.services import activity_record
    from documents.services import link_records

    email = ActivityType.objects.filter(code="email", active=True).first()
    if email is None:
        return None
    subject = _("Quote %(number)s sent: %(title)s") % {"number": quote, "title": quote.title}
    try:
        with transaction.atomic():
            activity = activity_record(
                user=user,
                activity=Activity(
                    type=email,
                    partner_id=quote.partner_id,
                    contact_id=quote.contact_id,
                    subject=subject[:200],
                    starts_at=timezone.now(),
                ),
                outcome=Outcome.SUCCESSFUL,
                result_notes=_("Sent to %(address)s, with %(file)s.")
                % {"address": message.recipient, "file": document.title},
            )
    except (ValidationError, PermissionDenied):
        return None
    link_records(document=document, records=[activity])
    return activity


def quote_send(
    *,
    user,
    quote: Quote,
    recipient: str,
    subject: str,
    body: str,
    template,
    token: str,
    ip=None,
):
    """Mails a draft quote: its PDF drawn from ``template`` by the document generator (stored
    sealed and linked to the quote), attached to a mail to ``recipient`` queued in the outbox
    (sent after the commit), the send recorded on the quote (with the message, whose delivery
    the page follows) and on the partner's timeline; the quote becomes sent and its
    opportunity quoted. One transaction: a refused send records nothing. ``token`` (one per
    form) makes a second post of the same form send nothing more. Returns the message."""
    from crm.messaging.models import Message
    from crm.messaging.services import message_queue
    from documents import generator

    _check_editable(user, quote)
    key = f"sales-quote:{quote.pk}:{token}"
    sent = Message.objects.filter(idempotency_key=key).first()
    if sent is not None:
        return sent
    _check_draft(quote)
    if not quote.lines.exists():
        raise ValidationError(_("Add at least one line before sending the quote."))
    _check_validity(quote)
    _check_products(quote, SENT)
    if template is None:
        raise ValidationError(
            {"template": _("Choose the template the PDF is drawn with.")}, code="template"
        )
    subject = " ".join(subject.split())
    if not subject:
        raise ValidationError({"subject": _("Give the mail a subject.")})
    with transaction.atomic():
        document = generator.generate(
            template=template, kind="quote", record=quote, user=user, ip=ip
        )
        version = document.current_version
        with version.file.open("rb") as handle:
            content = handle.read()
        message = message_queue(
            channel="email",
            recipient=recipient,
            company=quote.company,
            owner=user,
            created_by=user,
            subject=subject,
            text=body,
            html=linebreaks(escape(body)),
            attachments=((version.original_name, content, version.mime),),
            about=quote,
            idempotency_key=key,
        )
        _record_on_timeline(user=user, quote=quote, message=message, document=document)
        quote_set_status(
            user=user,
            quote=quote,
            status=SENT,
            note=_("By mail to %(address)s") % {"address": message.recipient},
            message=message,
            document=document,
        )
    return message
