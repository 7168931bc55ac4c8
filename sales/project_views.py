"""Project screens (issue 25, item 4): the list (keyset pages, a capped count), a new project
for a partner one sees, its edit form, and its page: the products planned against what was
quoted, the opportunities, activities and documents linked. Every query starts from
``visible_to``; writes need ``editable_by`` (``get_editable_or_403``), and the services check
it again (``sales.projects``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activities.models import Activity
from crm import keyset
from crm.edits import add_errors, save_edit
from crm.scoping import get_editable_or_403, get_visible_or_404, reaches_as_for_viewing
from partners.models import Partner

from . import projects
from .models import OPEN_PROJECT, Opportunity, Project, ProjectActivity, ProjectProduct
from .project_forms import LinkForm, ProjectFilterForm, ProjectForm, ProjectProductForm

PAGE_SIZE = 50
COUNT_CAP = 1000
LINK_CHOICES = 50  # opportunities / activities offered for linking
LISTED_ACTIVITIES = 50


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


@login_required
def project_list(request):
    user = request.user
    _need(user, "sales.view_project")
    form = ProjectFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = Project.objects.visible_to(user)
    status = filters.get("status") or ""
    if status == "":
        rows = rows.filter(status__in=OPEN_PROJECT)
    elif status != "all":
        rows = rows.filter(status=status)
    if filters.get("mine"):
        rows = rows.filter(owner=user)
    if text := (filters.get("q") or "").strip():
        rows = rows.filter(Q(name__icontains=text) | Q(partner__name__icontains=text))
    page, cursor = keyset.page(
        rows,
        order=["-id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Project.objects.select_related("partner", "owner"),
    )
    count = keyset.capped_count(rows, COUNT_CAP)
    next_url = ""
    if cursor:
        query = request.GET.copy()
        query["after"] = cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "sales/project_list.html",
        {
            "rows": page,
            "form": form,
            "next_url": next_url,
            "count": min(count, COUNT_CAP),
            "more": count > COUNT_CAP,
            "may_add": user.has_perm("sales.add_project"),
        },
    )


@login_required
def project_start(request):
    """A new project begins with its partner: one of those the user sees."""
    _need(request.user, "sales.add_project")
    text = request.GET.get("q", "").strip()[:100]
    partners = []
    if text:
        partners = list(Partner.objects.visible_to(request.user).search(text)[:20])
    template = "sales/project_start.html"
    if request.htmx:
        template = "sales/partials/project_partner_choices.html"
    return render(request, template, {"partners": partners, "q": text})


@login_required
def project_create(request, partner_pk: int):
    user = request.user
    _need(user, "sales.add_project")
    partner = get_visible_or_404(Partner, user, pk=partner_pk)
    form = ProjectForm(request.POST or None, instance=Project(partner=partner))
    if request.method == "POST" and form.is_valid():
        try:
            projects.project_create(user=user, project=form.instance)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Project recorded. Add its products below."))
            return redirect("sales:project", form.instance.pk)
    return render(request, "sales/project_form.html", {"form": form, "partner": partner})


@login_required
def project_edit(request, pk: int):
    user = request.user
    project = get_editable_or_403(Project.objects.select_related("partner"), user, pk=pk)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        base = form.cleaned_data.get("base_version") or project.version
        saved, _conflict = save_edit(
            request,
            form,
            lambda: projects.project_update(
                user=user, project=form.instance, expected_version=base
            ),
            gone_url=reverse("sales:projects"),
        )
        if saved is True:
            return redirect("sales:project", pk)
        if saved is not False:
            return saved
    return render(
        request,
        "sales/project_form.html",
        {"form": form, "partner": project.partner, "project": project},
    )


def _may_edit(user, project: Project) -> bool:
    if reaches_as_for_viewing(user, Project, "change"):
        return True
    return Project.objects.editable_by(user).filter(pk=project.pk).exists()


def _detail_context(request, project: Project, *, product_form=None) -> dict:
    """What the project page shows, in a constant number of queries whatever the number of
    products, quotes, opportunities, activities and documents."""
    from documents.views import record_documents_context

    user = request.user
    may_edit = _may_edit(user, project)
    opportunities = list(
        Opportunity.objects.visible_to(user)
        .filter(project_link__project=project)
        .select_related("stage", "owner")
        .order_by("-id")
    )
    linked_activity_ids = ProjectActivity.objects.filter(project=project).values("activity_id")
    activities = list(
        Activity.objects.visible_to(user)
        .filter(pk__in=linked_activity_ids)
        .select_related("type", "owner")
        .order_by("-starts_at", "-id")[:LISTED_ACTIVITIES]
    )
    context = {
        "project": project,
        "may_edit": may_edit,
        "progress": projects.product_progress(user, project),
        "opportunities": opportunities,
        "activities": activities,
        # the documents app's own section, drawn by {% page_section %}
        "documents": (
            "documents/partials/record_documents.html",
            record_documents_context(request, project),
        )
        if user.has_perm("documents.view_document")
        else None,
        "may_add_activity": user.has_perm("activities.add_activity"),
        "may_add_opportunity": user.has_perm("sales.add_opportunity"),
    }
    if may_edit:
        context["product_form"] = product_form or ProjectProductForm()
        context["opportunity_choices"] = list(
            projects.linkable_opportunities(user, project)
            .select_related("stage")
            .order_by("-id")[:LINK_CHOICES]
        )
        context["activity_choices"] = list(
            projects.linkable_activities(user, project)
            .exclude(pk__in=linked_activity_ids)
            .select_related("type")
            .order_by("-starts_at", "-id")[:LINK_CHOICES]
        )
    return context


def _project(user, pk: int) -> Project:
    return get_visible_or_404(Project.objects.select_related("partner", "owner"), user, pk=pk)


@login_required
def project_detail(request, pk: int):
    project = _project(request.user, pk)
    return render(request, "sales/project_detail.html", _detail_context(request, project))


def _editable(request, pk: int) -> Project:
    rows = Project.objects.select_related("partner", "owner")
    return get_editable_or_403(rows, request.user, pk=pk)


@login_required
@require_POST
def product_add(request, pk: int):
    project = _editable(request, pk)
    form = ProjectProductForm(request.POST)
    if form.is_valid():
        try:
            projects.project_product_save(
                user=request.user,
                project=project,
                product=form.cleaned_data["product"],
                planned=form.cleaned_data["planned"],
                note=form.cleaned_data.get("note") or "",
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Product added to the project."))
            return redirect(reverse("sales:project", args=[pk]) + "#products")
    context = _detail_context(request, project, product_form=form)
    return render(request, "sales/project_detail.html", context, status=200)


def _item(project: Project, item_pk: int) -> ProjectProduct:
    item = project.products.filter(pk=item_pk).select_related("product").first()
    if item is None:
        raise Http404
    return item


@login_required
def product_edit(request, pk: int, item_pk: int):
    project = _editable(request, pk)
    item = _item(project, item_pk)
    form = ProjectProductForm(
        request.POST or None,
        current=item.product_id,
        initial={"product": item.product_id, "planned": item.planned, "note": item.note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            projects.project_product_save(
                user=request.user,
                project=project,
                product=form.cleaned_data["product"],
                planned=form.cleaned_data["planned"],
                note=form.cleaned_data.get("note") or "",
                item=item,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("sales:project", args=[pk]) + "#products")
    return render(
        request, "sales/project_product_form.html", {"project": project, "item": item, "form": form}
    )


@login_required
@require_POST
def product_remove(request, pk: int, item_pk: int):
    project = _editable(request, pk)
    item = _item(project, item_pk)
    projects.project_product_remove(user=request.user, project=project, item=item)
    messages.success(
        request, _("%(product)s removed from the project.") % {"product": item.product}
    )
    return redirect(reverse("sales:project", args=[pk]) + "#products")


def _record_id(request) -> int | None:
    form = LinkForm(request.POST)
    return form.cleaned_data["record"] if form.is_valid() else None


@login_required
@require_POST
def opportunity_link(request, pk: int):
    project = _editable(request, pk)
    record = _record_id(request)
    opportunity = (
        Opportunity.objects.visible_to(request.user).filter(pk=record).first() if record else None
    )
    if opportunity is None:
        messages.error(request, _("Choose an opportunity to link."))
    else:
        try:
            projects.project_opportunity_link(
                user=request.user, project=project, opportunity=opportunity
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Opportunity linked: %(name)s.") % {"name": opportunity})
    return redirect(reverse("sales:project", args=[pk]) + "#opportunities")


@login_required
@require_POST
def opportunity_unlink(request, pk: int):
    project = _editable(request, pk)
    record = _record_id(request)
    if record:
        projects.project_opportunity_unlink(
            user=request.user, project=project, opportunity_id=record
        )
        messages.success(request, _("The opportunity was taken off the project."))
    return redirect(reverse("sales:project", args=[pk]) + "#opportunities")


@login_required
@require_POST
def activity_link(request, pk: int):
    project = _editable(request, pk)
    record = _record_id(request)
    activity = None
    if record:
        activity = Activity.objects.visible_to(request.user).filter(pk=record).first()
    if activity is None:
        messages.error(request, _("Choose an activity to link."))
    else:
        try:
            projects.project_activity_link(user=request.user, project=project, activity=activity)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Activity linked: %(subject)s.") % {"subject": activity})
    return redirect(reverse("sales:project", args=[pk]) + "#activities")


@login_required
@require_POST
def activity_unlink(request, pk: int):
    project = _editable(request, pk)
    record = _record_id(request)
    if record:
        projects.project_activity_unlink(user=request.user, project=project, activity_id=record)
        messages.success(request, _("The activity was taken off the project."))
    return redirect(reverse("sales:project", args=[pk]) + "#activities")
