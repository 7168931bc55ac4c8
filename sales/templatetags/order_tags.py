"""The order part of a quote's page, as one tag (``{% quote_orders quote %}``), so the quote
screens need no order code: the orders made of the quote that the user sees, and the button
that makes one when the quote is accepted, the user may change it and add orders, and no live
order was made of it yet."""

from django import template

from crm.scoping import reaches_as_for_viewing
from sales.models import OrderStatus, Quote, QuoteStatus

register = template.Library()


@register.inclusion_tag("sales/partials/quote_orders.html", takes_context=True)
def quote_orders(context, quote):
    user = context["request"].user
    orders = list(quote.orders.visible_to(user).order_by("-pk")[:10])
    may_order = (
        quote.status == QuoteStatus.ACCEPTED
        and user.has_perm("sales.add_order")
        and all(order.status == OrderStatus.CANCELLED for order in orders)
        and (
            reaches_as_for_viewing(user, Quote, "change")
            or Quote.objects.editable_by(user).filter(pk=quote.pk).exists()
        )
    )
    return {
        "quote": quote,
        "orders": orders,
        "may_order": may_order,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("sales/partials/opportunity_orders.html", takes_context=True)
def opportunity_orders(context, opportunity):
    """The orders of an opportunity that the user sees, for its page."""
    user = context["request"].user
    if not user.has_perm("sales.view_order"):
        return {"orders": []}
    rows = opportunity.orders.visible_to(user).order_by("-pk")[:10]
    return {"orders": list(rows)}
