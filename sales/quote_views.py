"""Quote screens: the list (keyset pages, capped count, filters), a quote made from the
opportunity's page or from scratch for a partner, the quote's page (lines edited in place
while a draft, VAT summary, versions, status and history with the mail's delivery), its
header's edit, a new version, the send by mail and the partner's decision. Scoped like every
record: ``visible_to`` to see, ``editable_by`` to change (``get_editable_or_403``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import keyset
from crm.edits import add_errors, save_edit
from crm.messaging.models import STATUS_COLOURS as MESSAGE_COLOURS
from crm.scoping import get_editable_or_403, get_visible_or_404
from crm.templating import hungarian_date
from documents.views import client_ip
from partners.models import Partner

from . import quotes, vat
from .models import Opportunity, Quote, QuoteLine, QuoteStatus
from .quote_forms import (
    ALIVE,
    QuoteDecisionForm,
    QuoteFilterForm,
    QuoteForm,
    QuoteLineForm,
    QuoteSendForm,
)
from .quotes import (
    DECISIONS,
    TRANSITIONS,
    deactivated_codes,
    expired_on,
    mail_defaults,
    pdf_templates,
    quote_from_opportunity,
    quote_line_delete,
    quote_line_save,
    quote_new_version,
    quote_send,
    quote_set_status,
    quote_update,
    versions_of,
)
from .templatetags.sales_tags import SYMBOLS
from .views import _company

PAGE_SIZE = 50
COUNT_CAP = 1000


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _may_change(user, quote: Quote) -> bool:
    if not user.has_perm("sales.change_quote"):
        return False
    try:
        get_editable_or_403(Quote, user, pk=quote.pk)
    except (PermissionDenied, Http404):
        return False
    return True


# ----------------------------------------------------------------------------- list


@login_required
def quote_list(request):
    user = request.user
    _need(user, "sales.view_quote")
    company_id = _company(user)
    form = QuoteFilterForm(request.GET or None, company_id=company_id)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = Quote.objects.visible_to(user).filter(company_id=company_id)
    status = filters.get("status") or ALIVE
    if status == ALIVE:
        rows = rows.exclude(status=QuoteStatus.SUPERSEDED)
    elif status != "all":
        rows = rows.filter(status=status)
    if filters.get("owner"):
        rows = rows.filter(owner=filters["owner"])
    partner = None
    if filters.get("partner"):
        partner = Partner.objects.visible_to(user).filter(pk=filters["partner"]).first()
        rows = rows.filter(partner_id=filters["partner"])
    if text := (filters.get("q") or "").strip():
        rows = rows.filter(
            Q(number__icontains=text) | Q(title__icontains=text) | Q(partner__name__icontains=text)
        )
    page, cursor = keyset.page(
        rows,
        order=["-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Quote.objects.select_related("partner", "owner"),
    )
    count = keyset.capped_count(rows, COUNT_CAP)
    next_url = ""
    if cursor:
        query = request.GET.copy()
        query["after"] = cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "sales/quote_list.html",
        {
            "rows": page,
            "form": form,
            "partner": partner,
            "next_url": next_url,
            "count": min(count, COUNT_CAP),
            "more": count > COUNT_CAP,
            "may_add": user.has_perm("sales.add_quote"),
        },
    )


# ----------------------------------------------------------------------------- making


@login_required
@require_POST
def quote_create(request, pk: int):
    """A quote of the opportunity's lines (the opportunity page's button)."""
    opportunity = get_editable_or_403(Opportunity, request.user, pk=pk)
    _need(request.user, "sales.add_quote")
    try:
        quote = quote_from_opportunity(user=request.user, opportunity=opportunity)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sales:opportunity", pk)
    messages.success(request, _("Quote %(number)s made from the opportunity.") % {"number": quote})
    return redirect("sales:quote", quote.pk)


@login_required
def quote_start(request):
    """A quote from scratch begins with its partner: one of those the user sees."""
    _need(request.user, "sales.add_quote")
    text = request.GET.get("q", "").strip()[:100]
    partners = list(Partner.objects.visible_to(request.user).search(text)[:20]) if text else []
    template = "sales/partials/quote_partner_choices.html" if request.htmx else None
    return render(request, template or "sales/quote_start.html", {"partners": partners, "q": text})


@login_required
def quote_new(request, partner_pk: int):
    user = request.user
    _need(user, "sales.add_quote")
    partner = get_visible_or_404(Partner, user, pk=partner_pk)
    quote = Quote(partner=partner)
    form = QuoteForm(request.POST or None, instance=quote, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            quotes.quote_create(user=user, quote=form.instance)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Quote %(number)s started. Add its lines below.") % {"number": form.instance},
            )
            return redirect("sales:quote", form.instance.pk)
    return render(request, "sales/quote_form.html", {"form": form, "partner": partner})


# ----------------------------------------------------------------------------- the page


def _lines_context(quote: Quote, *, may_edit: bool, form=None, editing=None, adding=False):
    lines = list(quote.lines.select_related("product"))
    rows, total = vat.summary([(line.vat_rate, line.value) for line in lines], quote.currency)
    editable = may_edit and quote.is_draft
    return {
        "quote": quote,
        "lines": lines,
        "vat_rows": rows,
        "vat_total": total,
        "may_edit": editable,
        "line_form": form
        if form is not None and editing is None
        else (QuoteLineForm() if editable else None),
        "editing": editing,
        "edit_form": form if editing is not None else None,
        "adding": adding,
        "inactive": [line for line in lines if not line.product.active],
        # the VAT summary's cells: bare numbers, the currency in the header
        "symbol": SYMBOLS.get(quote.currency, quote.currency),
        "places": "0g" if quote.currency == "HUF" else "2g",
    }


@login_required
def quote_detail(request, pk: int):
    user = request.user
    quote = get_visible_or_404(
        Quote.objects.select_related("partner", "contact", "opportunity", "owner"), user, pk=pk
    )
    may_change = _may_change(user, quote)
    context = _lines_context(quote, may_edit=may_change)
    next_statuses = [s for s in DECISIONS if s in TRANSITIONS[quote.status]] if may_change else []
    events = list(quote.events.select_related("by", "message", "document")[:30])
    for event in events:
        if event.message is not None:
            event.message_colour = MESSAGE_COLOURS.get(event.message.status, "secondary")
    context |= {
        "next_statuses": [QuoteStatus(s) for s in next_statuses],
        "decision_form": QuoteDecisionForm(initial={"status": QuoteStatus.REJECTED})
        if QuoteStatus.REJECTED in next_statuses
        else None,
        "may_send": may_change and quote.is_draft,
        "may_version": may_change and QuoteStatus.SUPERSEDED in TRANSITIONS[quote.status],
        "may_change": may_change,
        "versions": list(
            versions_of(quote)
            .visible_to(user)
            .only("pk", "number", "revision", "status", "gross_total", "currency", "issued_on")
        ),
        "events": events,
        "may_generate": user.has_perm("documents.add_document"),
    }
    return render(request, "sales/quote_detail.html", context)


@login_required
def quote_edit(request, pk: int):
    user = request.user
    quote = get_editable_or_403(Quote.objects.select_related("partner"), user, pk=pk)
    _need(user, "sales.change_quote")
    if not quote.is_draft:
        messages.error(
            request, _("Only a draft quote can be changed. Make a new version of it instead.")
        )
        return redirect("sales:quote", pk)
    form = QuoteForm(request.POST or None, instance=quote, partner=quote.partner)
    if request.method == "POST" and form.is_valid():
        base = form.cleaned_data.get("base_version") or quote.version
        saved, _conflict = save_edit(
            request,
            form,
            lambda: quote_update(user=user, quote=form.instance, expected_version=base),
            gone_url=reverse("sales:quotes"),
        )
        if saved is True:
            return redirect("sales:quote", pk)
        if saved is not False:
            return saved
    return render(
        request, "sales/quote_form.html", {"form": form, "partner": quote.partner, "quote": quote}
    )


# ----------------------------------------------------------------------------- lines


def _editable_quote(request, pk: int) -> Quote:
    quote = get_editable_or_403(Quote, request.user, pk=pk)
    _need(request.user, "sales.change_quote")
    return quote


def _lines_response(request, quote: Quote, **kwargs):
    quote.refresh_from_db()
    return render(
        request, "sales/partials/quote_lines.html", _lines_context(quote, may_edit=True, **kwargs)
    )


def _line_values(form) -> dict:
    data = form.cleaned_data
    return {
        "manual_price": data.get("manual_price"),
        "manual_discount": data.get("manual_discount"),
        "reason": data.get("reason") or "",
    }


@login_required
@require_POST
def quote_line_add(request, pk: int):
    quote = _editable_quote(request, pk)
    form = QuoteLineForm(request.POST)
    if form.is_valid():
        line = QuoteLine(
            product=form.cleaned_data["product"],
            quantity=form.cleaned_data["quantity"],
            name=form.cleaned_data.get("name") or "",
        )
        try:
            quote_line_save(user=request.user, quote=quote, line=line, **_line_values(form))
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _lines_response(request, quote, adding=True)
    return _lines_response(request, quote, form=form)


def _line(request, pk: int, line_pk: int):
    quote = _editable_quote(request, pk)
    line = quote.lines.filter(pk=line_pk).select_related("product").first()
    if line is None:
        raise Http404
    return quote, line


@login_required
def quote_line_edit(request, pk: int, line_pk: int):
    quote, line = _line(request, pk, line_pk)
    if request.method != "POST" and not quote.is_draft:
        messages.error(
            request, _("Only a draft quote can be changed. Make a new version of it instead.")
        )
        return _lines_response(request, quote)
    if request.method != "POST":
        form = QuoteLineForm(
            line=line,
            initial={
                "product": line.product_id,
                "quantity": line.quantity,
                "name": line.name,
                "manual_price": line.unit_price if line.manual else None,
                "reason": line.manual_reason,
            },
        )
        return _lines_response(request, quote, form=form, editing=line.pk)
    form = QuoteLineForm(request.POST, line=line)
    if form.is_valid():
        line.product = form.cleaned_data["product"]
        line.quantity = form.cleaned_data["quantity"]
        line.name = form.cleaned_data.get("name") or ""
        try:
            quote_line_save(user=request.user, quote=quote, line=line, **_line_values(form))
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _lines_response(request, quote)
    return _lines_response(request, quote, form=form, editing=line.pk)


@login_required
@require_POST
def quote_line_delete_view(request, pk: int, line_pk: int):
    quote, line = _line(request, pk, line_pk)
    try:
        quote_line_delete(user=request.user, quote=quote, line=line)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _lines_response(request, quote)


# ----------------------------------------------------------------------------- versions


@login_required
@require_POST
def quote_version(request, pk: int):
    quote = _editable_quote(request, pk)
    try:
        new = quote_new_version(user=request.user, quote=quote)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("sales:quote", pk)
    messages.success(
        request,
        _("Version %(revision)s of %(number)s made; %(old)s is superseded. Change it below.")
        % {"revision": new.revision, "number": new.number, "old": quote},
    )
    return redirect("sales:quote", new.pk)


# ----------------------------------------------------------------------------- sending


@login_required
def quote_send_view(request, pk: int):
    user = request.user
    quote = get_editable_or_403(
        Quote.objects.select_related("partner", "contact", "opportunity"), user, pk=pk
    )
    _need(user, "sales.change_quote")
    templates = pdf_templates(user, quote)
    if request.method == "POST":
        form = QuoteSendForm(request.POST, templates=templates)
    else:
        form = QuoteSendForm(initial=mail_defaults(user=user, quote=quote), templates=templates)
    problems = []
    if not quote.is_draft:
        problems.append(
            _(
                "This quote is %(status)s already; only a draft is sent. Make a new version to "
                "send it again."
            )
            % {"status": quote.get_status_display().lower()}
        )
    if quote.is_draft and (day := expired_on(quote)):
        problems.append(
            _("The quote expired on %(day)s; set a later validity date before sending it.")
            % {"day": hungarian_date(day)}
        )
    if codes := deactivated_codes(quote):
        problems.append(
            _(
                "These products are no longer sold (deactivated): %(codes)s. Replace or remove "
                "those lines before sending the quote."
            )
            % {"codes": ", ".join(dict.fromkeys(codes))}
        )
    if not templates:
        problems.append(
            _(
                "There is no PDF template for quotes that you may use. An administrator adds one "
                "under Documents → Templates (kind: HTML → PDF, type: offer)."
            )
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = quote_send(
                user=user,
                quote=quote,
                recipient=data["recipient"],
                subject=data["subject"],
                body=data["body"],
                template=data["template"],
                token=data["token"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Quote %(number)s is sent to %(address)s with its PDF; the mail is in the "
                    "outbox."
                )
                % {"number": quote, "address": message.recipient},
            )
            return redirect("sales:quote", pk)
    return render(
        request,
        "sales/quote_send.html",
        {"quote": quote, "form": form, "problems": problems},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def quote_status(request, pk: int):
    quote = get_editable_or_403(Quote.objects.select_related("opportunity"), request.user, pk=pk)
    _need(request.user, "sales.change_quote")
    form = QuoteDecisionForm(request.POST)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors) or _("Not allowed."))
        return redirect("sales:quote", pk)
    try:
        quote_set_status(
            user=request.user,
            quote=quote,
            status=form.cleaned_data["status"],
            note=form.cleaned_data.get("note") or "",
            reason=form.cleaned_data.get("reason") or "",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The quote is %(status)s.") % {"status": quote.get_status_display().lower()}
        )
    return redirect("sales:quote", pk)
