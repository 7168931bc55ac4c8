"""Quote screens: made from the opportunity's page, the quote's page (lines, VAT summary,
status, the PDF through the document generator), and its status moves. Scoped like every
record: ``visible_to`` to see, ``editable_by`` to change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.scoping import get_editable_or_403, get_visible_or_404

from . import vat
from .models import Opportunity, OrderStatus, Quote, QuoteStatus
from .quotes import TRANSITIONS, quote_from_opportunity, quote_set_status


@login_required
@require_POST
def quote_create(request, pk: int):
    opportunity = get_editable_or_403(Opportunity, request.user, pk=pk)
    if not request.user.has_perm("sales.add_quote"):
        raise PermissionDenied
    try:
        quote = quote_from_opportunity(user=request.user, opportunity=opportunity)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sales:opportunity", pk)
    messages.success(request, _("Quote %(number)s made from the opportunity.") % {"number": quote})
    return redirect("sales:quote", quote.pk)


@login_required
def quote_detail(request, pk: int):
    quote = get_visible_or_404(
        Quote.objects.select_related("partner", "contact", "opportunity", "owner"),
        request.user,
        pk=pk,
    )
    lines = list(quote.lines.all())
    rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], quote.currency)
    may_change = request.user.has_perm("sales.change_quote") and (
        Quote.objects.editable_by(request.user).filter(pk=quote.pk).exists()
    )
    orders = list(quote.orders.visible_to(request.user).order_by("-pk")[:10])
    return render(
        request,
        "sales/quote_detail.html",
        {
            "quote": quote,
            "lines": lines,
            "vat_rows": rows,
            "vat_total": total,
            "next_statuses": [QuoteStatus(s) for s in TRANSITIONS[quote.status]]
            if may_change
            else [],
            "events": list(quote.events.select_related("by")[:20]),
            "may_generate": request.user.has_perm("documents.add_document"),
            # the order part of the chain (sales/order_views.py)
            "orders": orders,
            "may_order": may_change
            and quote.status == QuoteStatus.ACCEPTED
            and request.user.has_perm("sales.add_order")
            and all(o.status == OrderStatus.CANCELLED for o in orders),
        },
    )


@login_required
@require_POST
def quote_status(request, pk: int):
    quote = get_editable_or_403(Quote.objects.select_related("opportunity"), request.user, pk=pk)
    try:
        quote_set_status(
            user=request.user,
            quote=quote,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [])) or _("Not allowed."))
    else:
        messages.success(
            request, _("The quote is %(status)s.") % {"status": quote.get_status_display().lower()}
        )
    return redirect("sales:quote", pk)
