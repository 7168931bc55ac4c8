"""Opportunity screens: the list with filters, a new opportunity (for a partner one sees),
the detail page with its lines edited in place (HTMX), the header's edit form, a stage move,
a call back, and the partner page's sales tab. Every query starts from ``visible_to``; writes
need ``editable_by`` (``get_editable_or_403``). The board is ``sales.board``."""

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
from crm.scoping import current_company_id, get_editable_or_403, get_visible_or_404
from crm.versioning import Conflict
from partners.models import Partner
from partners.services import acting_company

from . import services
from .forms import CallbackForm, LineForm, MoveForm, OpportunityFilterForm, OpportunityForm
from .models import Opportunity, OpportunityLine, OpportunityStatus, Quote, StageChange
from .pipeline import opportunity_move, stages_of

PAGE_SIZE = 50
COUNT_CAP = 1000


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _company(user) -> int:
    """The company whose opportunities the user works on (a superuser without membership:
    the first active one)."""
    company_id = current_company_id(user)
    if company_id is None:
        try:
            return acting_company(user).pk
        except ValidationError:
            raise Http404 from None
    return company_id


@login_required
def opportunity_list(request):
    user = request.user
    _need(user, "sales.view_opportunity")
    stages = stages_of(_company(user))
    form = OpportunityFilterForm(request.GET or None, stages=stages)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = Opportunity.objects.visible_to(user).filter(company_id=_company(user))
    status = filters.get("status") or OpportunityStatus.OPEN
    if status != "all":
        rows = rows.filter(status=status)
    if filters.get("stage"):
        rows = rows.filter(stage=filters["stage"])
    if filters.get("mine"):
        rows = rows.filter(owner=user)
    if filters.get("close_from"):
        rows = rows.filter(expected_close__gte=filters["close_from"])
    if filters.get("close_to"):
        rows = rows.filter(expected_close__lte=filters["close_to"])
    if text := (filters.get("q") or "").strip():
        rows = rows.filter(Q(name__icontains=text) | Q(partner__name__icontains=text))
    page, cursor = keyset.page(
        rows,
        order=["-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Opportunity.objects.select_related("partner", "stage", "owner"),
    )
    count = keyset.capped_count(rows, COUNT_CAP)
    next_url = ""
    if cursor:
        query = request.GET.copy()
        query["after"] = cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "sales/opportunity_list.html",
        {
            "rows": page,
            "form": form,
            "next_url": next_url,
            "count": min(count, COUNT_CAP),
            "more": count > COUNT_CAP,
            "may_add": user.has_perm("sales.add_opportunity"),
        },
    )


@login_required
def opportunity_start(request):
    """A new opportunity begins with its partner: one of those the user sees."""
    _need(request.user, "sales.add_opportunity")
    text = request.GET.get("q", "").strip()
    partners = []
    if text:
        partners = list(Partner.objects.visible_to(request.user).search(text)[:20])
    template = "sales/partials/partner_choices.html" if request.htmx else "sales/start.html"
    return render(request, template, {"partners": partners, "q": text})


@login_required
def opportunity_create(request, partner_pk: int):
    user = request.user
    _need(user, "sales.add_opportunity")
    partner = get_visible_or_404(Partner, user, pk=partner_pk)
    stages = stages_of(_company(user))
    opportunity = Opportunity(partner=partner)
    form = OpportunityForm(
        request.POST or None, instance=opportunity, partner=partner, stages=stages
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_create(user=user, opportunity=form.instance)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Opportunity recorded. Add its lines below."))
            return redirect("sales:opportunity", form.instance.pk)
    return render(request, "sales/opportunity_form.html", {"form": form, "partner": partner})


@login_required
def opportunity_edit(request, pk: int):
    user = request.user
    opportunity = get_editable_or_403(
        Opportunity.objects.select_related("partner", "stage"), user, pk=pk
    )
    form = OpportunityForm(
        request.POST or None, instance=opportunity, partner=opportunity.partner, stages=[]
    )
    if request.method == "POST" and form.is_valid():
        base = form.cleaned_data.get("base_version") or opportunity.version
        saved, _conflict = save_edit(
            request,
            form,
            lambda: services.opportunity_update(
                user=user, opportunity=form.instance, expected_version=base
            ),
            gone_url=reverse("sales:opportunities"),
        )
        if saved is True:
            return redirect("sales:opportunity", pk)
        if saved is not False:
            return saved
    return render(
        request,
        "sales/opportunity_form.html",
        {"form": form, "partner": opportunity.partner, "opportunity": opportunity},
    )


def _may_edit(user, opportunity) -> bool:
    try:
        get_editable_or_403(Opportunity, user, pk=opportunity.pk)
    except PermissionDenied:
        return False
    return True


def _lines_context(
    request, opportunity, *, may_edit: bool, form=None, editing=None, adding=False
) -> dict:
    lines = list(
        opportunity.lines.select_related("product").prefetch_related("subcontractors__partner")
    )
    editable = may_edit and opportunity.is_open
    return {
        "opportunity": opportunity,
        "lines": lines,
        "may_edit": editable,
        "line_form": form
        if form is not None and editing is None
        else (LineForm(company_id=opportunity.company_id) if editable else None),
        "editing": editing,
        "edit_form": form if editing is not None else None,
        # after a line was added the form stays open for the next one
        "adding": adding,
    }


@login_required
def opportunity_detail(request, pk: int):
    user = request.user
    opportunity = get_visible_or_404(
        Opportunity.objects.select_related("partner", "contact", "stage", "owner"), user, pk=pk
    )
    may_edit = _may_edit(user, opportunity)
    stages = stages_of(opportunity.company_id)
    context = _lines_context(request, opportunity, may_edit=may_edit)
    context |= {
        "stages": stages,
        "changes": list(
            StageChange.objects.filter(opportunity=opportunity).select_related(
                "from_stage", "to_stage", "changed_by"
            )[:30]
        ),
        "move_form": MoveForm(
            initial={"version": opportunity.version, "stage": opportunity.stage_id},
            stages=stages,
        )
        if may_edit
        else None,
        "callback_form": CallbackForm() if user.has_perm("activities.add_activity") else None,
        "quotes": list(
            Quote.objects.visible_to(user).filter(opportunity=opportunity).order_by("-pk")[:20]
        ),
        # shown without lines too: lines added over HTMX do not redraw this part of the page,
        # and the quote of no lines is refused with a message
        "may_quote": may_edit and opportunity.is_open and user.has_perm("sales.add_quote"),
        "may_change": may_edit,
    }
    return render(request, "sales/opportunity_detail.html", context)


def _lines_response(request, opportunity, **kwargs):
    context = _lines_context(request, opportunity, may_edit=True, **kwargs)
    response = render(request, "sales/partials/lines.html", context)
    return response


def _line_values(form) -> dict:
    data = form.cleaned_data
    return {
        "subcontractors": list(data.get("subcontractors") or []),
        "manual_price": data.get("manual_price"),
        "manual_discount": data.get("manual_discount"),
        "reason": data.get("reason") or "",
    }


@login_required
@require_POST
def line_add(request, pk: int):
    opportunity = get_editable_or_403(Opportunity, request.user, pk=pk)
    form = LineForm(request.POST, company_id=opportunity.company_id)
    if form.is_valid():
        line = OpportunityLine(
            product=form.cleaned_data["product"],
            quantity=form.cleaned_data["quantity"],
            quantity_fulfilled=form.cleaned_data.get("quantity_fulfilled") or 0,
            description=form.cleaned_data.get("description") or "",
        )
        try:
            services.line_save(
                user=request.user, opportunity=opportunity, line=line, **_line_values(form)
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            opportunity.refresh_from_db()
            return _lines_response(request, opportunity, adding=True)
    return _lines_response(request, opportunity, form=form)


def _line(request, pk: int, line_pk: int):
    opportunity = get_editable_or_403(Opportunity, request.user, pk=pk)
    line = opportunity.lines.filter(pk=line_pk).select_related("product").first()
    if line is None:
        raise Http404
    return opportunity, line


@login_required
def line_edit(request, pk: int, line_pk: int):
    opportunity, line = _line(request, pk, line_pk)
    if request.method != "POST":
        form = LineForm(
            company_id=opportunity.company_id,
            line=line,
            initial={
                "product": line.product_id,
                "quantity": line.quantity,
                "quantity_fulfilled": line.quantity_fulfilled,
                "description": line.description,
                "manual_price": line.unit_price if line.manual else None,
                "reason": line.manual_reason,
                "subcontractors": list(line.subcontractors.all()),
            },
        )
        return _lines_response(request, opportunity, form=form, editing=line.pk)
    form = LineForm(request.POST, company_id=opportunity.company_id, line=line)
    if form.is_valid():
        line.product = form.cleaned_data["product"]
        line.quantity = form.cleaned_data["quantity"]
        line.quantity_fulfilled = form.cleaned_data.get("quantity_fulfilled") or 0
        line.description = form.cleaned_data.get("description") or ""
        try:
            services.line_save(
                user=request.user, opportunity=opportunity, line=line, **_line_values(form)
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            opportunity.refresh_from_db()
            return _lines_response(request, opportunity)
    return _lines_response(request, opportunity, form=form, editing=line.pk)


@login_required
@require_POST
def line_delete(request, pk: int, line_pk: int):
    opportunity, line = _line(request, pk, line_pk)
    try:
        services.line_delete(user=request.user, opportunity=opportunity, line=line)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    opportunity.refresh_from_db()
    return _lines_response(request, opportunity)


@login_required
@require_POST
def move(request, pk: int):
    """A stage move from the detail page (the board has its own, ``board.move``)."""
    user = request.user
    opportunity = get_editable_or_403(Opportunity, user, pk=pk)
    form = MoveForm(request.POST, stages=stages_of(opportunity.company_id))
    if not form.is_valid():
        messages.error(request, _("Choose a stage."))
        return redirect("sales:opportunity", pk)
    try:
        opportunity_move(
            user=user,
            opportunity=opportunity,
            stage=form.cleaned_data["stage"],
            expected_version=form.cleaned_data["version"],
            lost_reason=form.cleaned_data["lost_reason"],
            note=form.cleaned_data["note"],
        )
    except Conflict as conflict:
        who = conflict.changed_by or _("another user")
        messages.error(
            request,
            _(
                "%(who)s changed this opportunity meanwhile; it was not moved. "
                "Check it, then try again."
            )
            % {"who": who},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": opportunity.stage})
    return redirect("sales:opportunity", pk)


@login_required
@require_POST
def callback(request, pk: int):
    user = request.user
    opportunity = get_visible_or_404(Opportunity, user, pk=pk)
    _need(user, "activities.add_activity")
    form = CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day and time of the call back."))
        return redirect("sales:opportunity", pk)
    try:
        task = services.callback_schedule(
            user=user,
            opportunity=opportunity,
            on=form.cleaned_data["on"],
            note=form.cleaned_data["note"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [])) or _("Not allowed."))
    else:
        messages.success(request, _("Call back planned: %(task)s.") % {"task": task.subject})
    return redirect("sales:opportunity", pk)
