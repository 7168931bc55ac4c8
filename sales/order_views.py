"""Order and delivery screens: an order made from an accepted quote's page in one click, the
order list (keyset pages, a capped count, filters), the order's page (its lines with what is
delivered and what remains, its deliveries, links back to the quote and the opportunity), its
edit form, a new delivery, the delivery's page (its note as a PDF through the document
generator) and cancelling either. Scoped like every record: ``visible_to`` to see,
``editable_by`` to change (``get_editable_or_403``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import keyset
from crm.edits import add_errors, save_edit
from crm.history import history_rows
from crm.scoping import get_editable_or_403, get_visible_or_404, reaches_as_for_viewing
from crm.versioning import Conflict

from . import vat
from .models import Delivery, DeliveryStatus, Order, OrderStatus, Quote
from .order_forms import OPEN_STATUSES, DeliveryForm, OrderFilterForm, OrderForm
from .orders import delivery_cancel, delivery_create, order_cancel, order_from_quote, order_update

PAGE_SIZE = 50
COUNT_CAP = 1000


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _may_change(user, order) -> bool:
    if not user.has_perm("sales.change_order"):
        return False
    if reaches_as_for_viewing(user, Order, "change"):
        return True
    return Order.objects.editable_by(user).filter(pk=order.pk).exists()


@login_required
@require_POST
def order_create(request, pk: int):
    """The accepted quote ``pk`` becomes an order."""
    quote = get_editable_or_403(Quote, request.user, pk=pk)
    _need(request.user, "sales.add_order")
    try:
        order = order_from_quote(user=request.user, quote=quote)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sales:quote", pk)
    messages.success(
        request,
        _("Order %(number)s made from quote %(quote)s.") % {"number": order, "quote": quote},
    )
    return redirect("sales:order", order.pk)


@login_required
def order_list(request):
    user = request.user
    _need(user, "sales.view_order")
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = Order.objects.visible_to(user)
    status = filters.get("status") or ""
    if status == "":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        rows = rows.filter(status=status)
    if filters.get("mine"):
        rows = rows.filter(owner=user)
    if filters.get("ordered_from"):
        rows = rows.filter(ordered_on__gte=filters["ordered_from"])
    if filters.get("ordered_to"):
        rows = rows.filter(ordered_on__lte=filters["ordered_to"])
    if text := (filters.get("q") or "").strip():
        rows = rows.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(partner__name__icontains=text)
            | Q(customer_reference__icontains=text)
        )
    page, cursor = keyset.page(
        rows,
        order=["-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Order.objects.select_related("partner", "owner"),
    )
    count = keyset.capped_count(rows, COUNT_CAP)
    next_url = ""
    if cursor:
        query = request.GET.copy()
        query["after"] = cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "sales/order_list.html",
        {
            "rows": page,
            "form": form,
            "next_url": next_url,
            "count": min(count, COUNT_CAP),
            "more": count > COUNT_CAP,
        },
    )


@login_required
def order_detail(request, pk: int):
    user = request.user
    order = get_visible_or_404(
        Order.objects.select_related("partner", "contact", "quote", "opportunity", "owner"),
        user,
        pk=pk,
    )
    lines = list(order.lines.all())
    rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], order.currency)
    may_change = _may_change(user, order)
    live = order.status in OPEN_STATUSES
    delivered = any(line.quantity_delivered for line in lines)
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "vat_rows": rows,
            "vat_total": total,
            "deliveries": list(
                Delivery.objects.visible_to(user).filter(order=order).order_by("-pk")[:50]
            ),
            "may_edit": may_change and order.status != OrderStatus.CANCELLED,
            "may_deliver": may_change and live and user.has_perm("sales.add_delivery"),
            "may_cancel": may_change and live and not delivered,
            "delivered": delivered,
            "history": history_rows(order, limit=30),
        },
    )


@login_required
def order_edit(request, pk: int):
    user = request.user
    order = get_editable_or_403(Order.objects.select_related("partner"), user, pk=pk)
    _need(user, "sales.change_order")
    if order.status == OrderStatus.CANCELLED:
        messages.error(request, _("A cancelled order cannot be changed."))
        return redirect("sales:order", pk)
    lines = list(order.lines.all())
    editable_lines = [] if any(line.quantity_delivered for line in lines) else lines
    form = OrderForm(request.POST or None, instance=order, lines=editable_lines)
    if request.method == "POST" and form.is_valid():
        base = form.cleaned_data.get("base_version") or order.version
        saved, _conflict = save_edit(
            request,
            form,
            lambda: order_update(
                user=user,
                order=form.instance,
                expected_version=base,
                quantities=form.quantities(),
            ),
            gone_url=reverse("sales:orders"),
        )
        if saved is True:
            return redirect("sales:order", pk)
        if saved is not False:
            return saved
    return render(
        request,
        "sales/order_form.html",
        {"form": form, "order": order, "lines_locked": bool(lines) and not editable_lines},
    )


@login_required
@require_POST
def order_cancel_view(request, pk: int):
    order = get_editable_or_403(Order, request.user, pk=pk)
    _need(request.user, "sales.change_order")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = order.version
    try:
        order_cancel(user=request.user, order=order, expected_version=version)
    except Conflict:
        messages.error(
            request,
            _("The order changed meanwhile; it was not cancelled. Check it, then try again."),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Order %(number)s is cancelled.") % {"number": order})
    return redirect("sales:order", pk)


@login_required
def delivery_new(request, pk: int):
    """A delivery of the order ``pk``: each line offered with what remains of it."""
    user = request.user
    order = get_editable_or_403(Order.objects.select_related("partner"), user, pk=pk)
    _need(user, "sales.add_delivery")
    if order.status not in OPEN_STATUSES:
        messages.error(
            request,
            _("The order is %(status)s; nothing remains to be delivered.")
            % {"status": order.get_status_display().lower()},
        )
        return redirect("sales:order", pk)
    lines = list(order.lines.all())
    form = DeliveryForm(
        request.POST or None, lines=lines, initial={"delivered_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            delivery = delivery_create(
                user=user,
                order=order,
                quantities=form.quantities(),
                delivered_on=form.cleaned_data["delivered_on"],
                received_by=form.cleaned_data["received_by"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Delivery %(number)s recorded; the order is %(status)s.")
                % {"number": delivery, "status": order.get_status_display().lower()},
            )
            return redirect("sales:delivery", delivery.pk)
    return render(request, "sales/delivery_form.html", {"form": form, "order": order})


@login_required
def delivery_detail(request, pk: int):
    user = request.user
    delivery = get_visible_or_404(
        Delivery.objects.select_related("order", "partner", "owner"), user, pk=pk
    )
    may_change = user.has_perm("sales.change_delivery") and (
        reaches_as_for_viewing(user, Delivery, "change")
        or Delivery.objects.editable_by(user).filter(pk=delivery.pk).exists()
    )
    return render(
        request,
        "sales/delivery_detail.html",
        {
            "delivery": delivery,
            "order": delivery.order,
            "lines": list(delivery.lines.select_related("order_line")),
            "may_cancel": may_change and delivery.status == DeliveryStatus.DELIVERED,
            "may_generate": user.has_perm("documents.add_document"),
        },
    )


@login_required
@require_POST
def delivery_cancel_view(request, pk: int):
    delivery = get_editable_or_403(Delivery, request.user, pk=pk)
    _need(request.user, "sales.change_delivery")
    try:
        delivery_cancel(
            user=request.user, delivery=delivery, reason=request.POST.get("reason", "")[:300]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Delivery %(number)s is cancelled; its quantities are open again.")
            % {"number": delivery},
        )
    return redirect("sales:delivery", pk)
