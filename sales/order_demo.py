"""Demo orders for ``make run``: two deals in negotiation are quoted, accepted and ordered (so
they show as won on the board); the first order is half delivered, the second waits. The
delivery note's PDF template ("Szállítólevél (PDF)") goes into the demo's templates folder.
Registered after the sales demo (``SalesConfig.ready()``); it makes nothing once any order
exists."""

from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction

from crm.models import Company

from .demo import REPS
from .models import Opportunity, Order
from .orders import delivery_create, order_from_quote
from .quotes import quote_from_opportunity, quote_set_status

DELIVERY_NOTE_TEMPLATE = Path(__file__).resolve().parent / "data" / "delivery_note_template.html"


def load_orders() -> None:
    company = Company.objects.order_by("pk").first()
    if company is None or Order.objects.filter(company=company).exists():
        return
    deals = list(
        Opportunity.objects.filter(
            company=company,
            status="open",
            stage__name_en="Negotiation",
            owner__username__in=REPS,
        )
        .select_related("owner")
        .order_by("pk")[:2]
    )
    for index, opportunity in enumerate(deals):
        user = opportunity.owner
        if not opportunity.lines.exists():
            continue
        quote = quote_from_opportunity(user=user, opportunity=opportunity)
        quote_set_status(user=user, quote=quote, status="sent")
        quote_set_status(user=user, quote=quote, status="accepted", note="Aláírt megrendelés")
        order = order_from_quote(user=user, quote=quote)
        order.customer_reference = f"PO-2026-{471 + index}"
        order.save(update_fields=["customer_reference"])
        if index == 0:
            half = {
                line.pk: (line.quantity / 2).quantize(Decimal(1), rounding=ROUND_DOWN)
                for line in order.lines.all()
            }
            delivery_create(
                user=user,
                order=order,
                quantities={pk: q for pk, q in half.items() if q > 0},
                received_by="Kiss János",
            )
    transaction.on_commit(load_delivery_note_template)


def load_delivery_note_template() -> None:
    """The demo's delivery note template, beside the quote's, once."""
    from documents import generator
    from documents.generator_models import DocumentTemplate
    from documents.models import DocumentType, Folder

    company = Company.objects.order_by("pk").first()
    author = get_user_model().objects.filter(username="szabo.gabor").first()
    folder = Folder.objects.filter(company=company, parent=None, name="Sablonok").first()
    name = "Szállítólevél (PDF)"
    if (
        folder is None
        or author is None
        or DocumentTemplate.objects.filter(company=company, name=name).exists()
    ):
        return
    generator.template_create(
        user=author,
        company_id=company.pk,
        name=name,
        uploaded=ContentFile(DELIVERY_NOTE_TEMPLATE.read_bytes(), name="Szállítólevél.html"),
        folder=folder,
        output_type=DocumentType.OTHER,
        description="Szállítólevél a rendelés egy szállításáról: rendelt, most szállított és "
        "hátralévő mennyiség tételenként, aláírásokkal.",
    )
