"""What document templates may say about a delivery, for its delivery note (``szállítólevél``;
``sales/data/delivery_note_template.html`` is one to start from): its number, day, who received
it, the order's number and the customer's, the delivery address, and the lines with what was
ordered, what this delivery hands over and what remains. Orders and deliveries are records
documents link to. Registered from ``SalesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.templating import (
    Provider,
    Relation,
    Source,
    Variable,
    hungarian_date,
    hungarian_number,
    person,
    providers,
    relations,
)

FIELDS = [
    ("number", _("number"), "SZL-2026-0001"),
    ("delivered_on", _("delivered on"), "2026. 12. 07."),
    ("received_by", _("received by"), "Kiss János"),
    ("notes", _("notes"), ""),
    ("order_number", _("order number"), "RE-2026-0001"),
    ("customer_reference", _("customer's order number"), "PO-4711"),
    ("title", _("title"), "Csarnok fűtése"),
    ("delivery_address", _("delivery address"), "6720 Szeged, Kárász utca 1."),
    ("owner.name", _("prepared by"), "Kovács Anna"),
    ("lines[].name", _("line: name"), "Kondenzációs kazán 24 kW"),
    ("lines[].quantity", _("line: quantity delivered"), "1"),
    ("lines[].unit", _("line: unit"), "db"),
    ("lines[].ordered", _("line: quantity ordered"), "2"),
    ("lines[].remaining", _("line: quantity remaining"), "1"),
]


def _qty(value) -> str:
    return hungarian_number(value.normalize())


def _delivery(source: Source) -> dict:
    delivery = source.get("delivery")
    if delivery is None:
        return {}
    order = delivery.order
    lines = list(delivery.lines.select_related("order_line"))
    return {
        "number": delivery.number,
        "delivered_on": hungarian_date(delivery.delivered_on),
        "received_by": delivery.received_by,
        "notes": delivery.notes,
        "order_number": order.number,
        "customer_reference": order.customer_reference,
        "title": order.title,
        "delivery_address": order.delivery_address,
        "owner": person(delivery.owner),
        "lines": [
            {
                "name": line.order_line.name,
                "quantity": _qty(line.quantity),
                "unit": line.order_line.unit,
                "ordered": _qty(line.order_line.quantity),
                "remaining": _qty(line.order_line.quantity_remaining),
            }
            for line in lines
        ],
    }


def register() -> None:
    from documents.linkables import Linkable, registry

    registry.register(
        Linkable(
            "order", "sales.Order", pgettext_lazy("sales order", "order"), "sales:order", order=52
        )
    )
    registry.register(
        Linkable("delivery", "sales.Delivery", _("delivery"), "sales:delivery", order=54)
    )
    providers.register(
        Provider(
            key="delivery",
            label=_("The delivery the document is generated from"),
            variables=tuple(Variable(f"delivery.{n}", label, ex) for n, label, ex in FIELDS),
            value=_delivery,
            order=54,
        )
    )
    for source in ("order", "delivery"):
        relations.register(Relation(source, "partner", "partners.Partner", "partner_id"))
    relations.register(Relation("order", "contact", "partners.Contact", "contact_id"))
    relations.register(Relation("delivery", "order", "sales.Order", "order_id"))
