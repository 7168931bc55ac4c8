"""``{% invoice_chain order=order %}`` / ``{% invoice_chain delivery=delivery %}``: the invoices
of an order or a delivery that the user sees, and the button to invoice what is left, for the
order's and the delivery's pages (``sales/invoice_chain.html``)."""

from django import template

register = template.Library()


@register.inclusion_tag("sales/invoice_chain.html", takes_context=True)
def invoice_chain(context, order=None, delivery=None):
    from sales.models import Invoice

    user = context["request"].user
    lookup = {"delivery": delivery} if delivery is not None else {"order": order}
    rows = []
    if user.has_perm("sales.view_invoice"):
        rows = list(Invoice.objects.visible_to(user).filter(**lookup).order_by("pk"))
    cancelled = delivery is not None and delivery.status == "cancelled"
    return {
        "rows": rows,
        "order": order,
        "delivery": delivery,
        "may_invoice": user.has_perm("sales.add_invoice") and not cancelled,
    }
