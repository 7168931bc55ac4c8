"""Invoice screens: the list (keyset pages, a capped count, filters open / overdue / paid /
cancelled), an invoice's page (the Hungarian invoice's data, the chain it comes from, payment
and cancellation), its numbered PDF, and a new invoice from a delivery or from an order (a
quantity per line, filled in with what is left). Scoped like every record: ``visible_to`` to
see, ``editable_by`` to change; "missing" and "not yours" are both 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import keyset
from crm.scoping import current_company_id, get_editable_or_403, get_visible_or_404

from . import invoices, vat
from .invoice_forms import CancelForm, InvoiceCreateForm, InvoiceFilterForm, PaidForm
from .models import VAT_NOTES, Delivery, Invoice, InvoiceKind, InvoiceStatus, Order

PAGE_SIZE = 50
COUNT_CAP = 1000


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


@login_required
def invoice_list(request):
    user = request.user
    _need(user, "sales.view_invoice")
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = Invoice.objects.visible_to(user)
    company_id = current_company_id(user)
    if company_id is not None:
        rows = rows.filter(company_id=company_id)
    today = timezone.localdate()
    state = filters.get("state") or ""
    if state in ("open", "overdue"):
        rows = rows.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
        if state == "overdue":
            rows = rows.filter(due_on__lt=today)
    elif state == "paid":
        rows = rows.filter(status=InvoiceStatus.PAID)
    elif state == "cancelled":
        rows = rows.filter(Q(status=InvoiceStatus.CANCELLED) | Q(kind=InvoiceKind.STORNO))
    if filters.get("mine"):
        rows = rows.filter(owner=user)
    if text := (filters.get("q") or "").strip():
        rows = rows.filter(Q(number__icontains=text) | Q(buyer_name__icontains=text))
    page, cursor = keyset.page(
        rows,
        order=["-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Invoice.objects.select_related("owner"),
    )
    count = keyset.capped_count(rows, COUNT_CAP)
    next_url = ""
    if cursor:
        query = request.GET.copy()
        query["after"] = cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "sales/invoice_list.html",
        {
            "rows": page,
            "form": form,
            "today": today,
            "next_url": next_url,
            "count": min(count, COUNT_CAP),
            "more": count > COUNT_CAP,
        },
    )


def _invoice(user, pk: int) -> Invoice:
    return get_visible_or_404(
        Invoice.objects.select_related(
            "order", "delivery", "partner", "owner", "created_by", "storno_of", "order__quote"
        ),
        user,
        pk=pk,
    )


def _summary(invoice: Invoice, lines) -> dict:
    rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], invoice.currency)
    huf = dict(invoices.huf_vat_rows(rows, invoice.exchange_rate))
    rates = {line.vat_rate for line in lines}
    return {
        "vat_rows": [(row, huf.get(row.rate)) for row in rows],
        "vat_total": total,
        "vat_notes": [VAT_NOTES[rate] for rate in VAT_NOTES if rate in rates],
    }


@login_required
def invoice_detail(request, pk: int):
    user = request.user
    invoice = _invoice(user, pk)
    lines = list(invoice.lines.select_related("delivery_line__delivery"))
    editable = Invoice.objects.editable_by(user).filter(pk=invoice.pk).exists()
    storno = Invoice.objects.filter(storno_of=invoice).only("pk", "number").first()
    may_pay = editable and not invoice.is_storno and user.has_perm("sales.change_invoice")
    context = {
        "invoice": invoice,
        "lines": lines,
        "storno": storno,
        "overdue": invoice.is_overdue(timezone.localdate()),
        "may_pay": may_pay and invoice.status == InvoiceStatus.ISSUED,
        "may_unpay": may_pay and invoice.status == InvoiceStatus.PAID,
        "may_cancel": editable
        and not invoice.is_storno
        and invoice.status != InvoiceStatus.CANCELLED
        and user.has_perm("sales.cancel_invoice"),
        "paid_form": PaidForm(initial={"paid_on": timezone.localdate()}),
        "cancel_form": CancelForm(),
        "events": list(invoice.events.select_related("by")[:20]),
        **_summary(invoice, lines),
    }
    return render(request, "sales/invoice_detail.html", context)


@login_required
def invoice_pdf(request, pk: int):
    """The numbered invoice as a PDF, drawn from the invoice's own rows (they never change
    once issued), in Hungarian as the tax authority reads it."""
    from documents.engines import html_to_pdf

    invoice = _invoice(request.user, pk)
    lines = list(invoice.lines.all())
    with translation.override("hu"):
        html = render_to_string(
            "sales/invoice_pdf.html",
            {"invoice": invoice, "lines": lines, **_summary(invoice, lines)},
        )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{invoice.number}.pdf"'
    return response


@login_required
@require_POST
def invoice_status(request, pk: int):
    invoice = get_editable_or_403(Invoice, request.user, pk=pk)
    _need(request.user, "sales.change_invoice")
    status = request.POST.get("status", "")
    form = PaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day of payment as a date."))
        return redirect("sales:invoice", pk)
    try:
        invoices.invoice_set_status(
            user=request.user,
            invoice=invoice,
            status=status,
            paid_on=form.cleaned_data.get("paid_on"),
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [])) or _("Not allowed."))
    else:
        messages.success(
            request,
            _("Invoice %(number)s is %(status)s.")
            % {"number": invoice.number, "status": invoice.get_status_display().lower()},
        )
    return redirect("sales:invoice", pk)


@login_required
@require_POST
def invoice_cancel(request, pk: int):
    invoice = get_editable_or_403(Invoice, request.user, pk=pk)
    _need(request.user, "sales.cancel_invoice")
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the invoice is cancelled."))
        return redirect("sales:invoice", pk)
    try:
        storno = invoices.invoice_cancel(
            user=request.user, invoice=invoice, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sales:invoice", pk)
    messages.success(
        request,
        _("Invoice %(number)s is cancelled by the storno invoice %(storno)s.")
        % {"number": invoice.number, "storno": storno.number},
    )
    return redirect("sales:invoice", storno.pk)


def _create(request, *, source, order, invoiceables, from_order: bool, make):
    """The new invoice form of ``source`` (a delivery or an order), and its POST."""
    form = InvoiceCreateForm(
        request.POST or None,
        invoiceables=invoiceables,
        currency=order.currency,
        from_order=from_order,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invoice = make(
                quantities=form.quantities(),
                payment_method=data["payment_method"],
                due_on=data.get("due_on"),
                exchange_rate=data.get("exchange_rate"),
                notes=data.get("notes", ""),
                **({"fulfilled_on": data.get("fulfilled_on")} if from_order else {}),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice})
            return redirect("sales:invoice", invoice.pk)
    return render(
        request,
        "sales/invoice_form.html",
        {
            "form": form,
            "source": source,
            "order": order,
            "from_order": from_order,
            "nothing_left": not any(item.remaining > 0 for item in invoiceables),
            "earlier": invoices.chain_invoices(
                **({"order": order} if from_order else {"delivery": source})
            ),
        },
    )


@login_required
def invoice_from_delivery(request, pk: int):
    user = request.user
    delivery = get_visible_or_404(Delivery.objects.select_related("order"), user, pk=pk)
    _need(user, "sales.add_invoice")
    order = delivery.order
    return _create(
        request,
        source=delivery,
        order=order,
        invoiceables=invoices.invoiceable_from_delivery(delivery),
        from_order=False,
        make=lambda **kw: invoices.invoice_from_delivery(user=user, delivery=delivery, **kw),
    )


@login_required
def invoice_from_order(request, pk: int):
    user = request.user
    order = get_visible_or_404(Order, user, pk=pk)
    _need(user, "sales.add_invoice")
    return _create(
        request,
        source=order,
        order=order,
        invoiceables=invoices.invoiceable_from_order(order),
        from_order=True,
        make=lambda **kw: invoices.invoice_from_order(user=user, order=order, **kw),
    )
