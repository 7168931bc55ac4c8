"""The saved queries' pages: "my queries and those shared with me", copy, share, delete,
scheduled reports, and the endpoints the builder page posts to save a query. Every query starts
from ``SavedQuery.objects.visible_to`` / ``editable_by``; the writes are ``sharing``'s services.

The builder page's side of saving:

- ``querybuilder:saved_create``: POST ``name``, ``description``, ``spec`` (the JSON text);
- ``querybuilder:saved_update``: POST ``id``, ``version`` (the one the page was loaded with),
  ``name``, ``description``, ``spec``.

Saved: a redirect to the builder on the query (``?q=<id>``), ``HX-Redirect`` under HTMX.
Refused (the engine's message and the part at fault, a missing name, a newer save by somebody
else): the plain form page again; under HTMX a 200 fragment retargeted into the page's
``#saved-errors`` box with the event ``querybuilder-save-failed``, and on a lost update an
out-of-band ``<input id="saved-version">`` with the newer version, so that saving again
overwrites on purpose. The saved query never changes on a refusal.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.versioning import Conflict

from . import sharing
from .builtins import translated
from .forms import (
    SavedQueryForm,
    SavedQueryUpdateForm,
    ScheduleForm,
    SearchForm,
    ShareForm,
    initial_share,
)
from .models import VIEW, SavedQuery, ScheduledReport

PAGE_SIZE = 50
RUN = "crm.run_query_builder"


def _may(user, *perms: str) -> bool:
    return user.is_superuser or all(user.has_perm(p) for p in perms)


def builder_url(query_id: int | None = None) -> str:
    """The builder page, opened on a saved query."""
    try:
        url = reverse("querybuilder:builder")
    except NoReverseMatch:  # the builder's URLs are the UI's; until they exist, the list
        return reverse("querybuilder:saved")
    return f"{url}?q={query_id}" if query_id else url


def _to_builder(request, query: SavedQuery):
    url = builder_url(query.pk)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def saved_list(request):
    user = request.user
    if not _may(user, VIEW):
        raise PermissionDenied
    search = SearchForm(request.GET)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    queries = SavedQuery.objects.visible_to(user).with_shared().select_related("owner")
    if text:
        queries = queries.filter(name__icontains=text)
    page = Paginator(queries.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    mine_editable = _may(user, "querybuilder.change_savedquery")
    mine_deletable = _may(user, "querybuilder.delete_savedquery")
    for query in page.object_list:
        translated(query)
        own = user.is_superuser or query.owner_id == user.pk
        query.may_share = own and mine_editable and query.company_id is not None
        query.may_delete = own and mine_deletable
        query.mine = query.owner_id == user.pk
        query.open_url = builder_url(query.pk)
    context = {
        "page": page,
        "queries": page.object_list,
        "search": text,
        "may_copy": _may(user, "querybuilder.add_savedquery"),
        "may_build": _may(user, RUN),
        "may_schedule": _may(user, "querybuilder.view_scheduledreport"),
        "builder_url": builder_url(),
    }
    template = "querybuilder/saved_rows.html" if request.htmx else "querybuilder/saved_list.html"
    return render(request, template, context)


def _form_page(request, form, *, query=None, error=None, conflict=None, status=200):
    context = {"form": form, "query": query, "error": error, "conflict": conflict}
    if request.htmx:
        # HTMX swaps only 2xx answers: the refusal comes as 200 into the #saved-errors box the
        # builder page keeps next to its save button, with an event its script may listen to.
        response = render(request, "querybuilder/saved_errors.html", context)
        response["HX-Retarget"] = "#saved-errors"
        response["HX-Reswap"] = "innerHTML"
        if form.is_bound:
            response["HX-Trigger"] = "querybuilder-save-failed"
        return response
    return render(request, "querybuilder/saved_form.html", context, status=status)


def _spec_error(form, error: ValidationError) -> dict | None:
    """Puts a service's refusal on the form; returns the engine's (message, part) if any."""
    if isinstance(error, sharing.SpecError):
        form.add_error("spec", error.reason)
        return {"message": error.reason, "part": error.part}
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def saved_create(request):
    """POST name, description, spec (JSON) → a new query of the user; then the builder on it
    (``HX-Redirect`` for HTMX). GET: the plain form (no builder needed)."""
    user = request.user
    if not _may(user, RUN, "querybuilder.add_savedquery"):
        raise PermissionDenied
    form = SavedQueryForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, form)
    try:
        query = sharing.saved_query_create(
            user=user,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            spec=form.cleaned_data["spec"],
        )
    except ValidationError as error:
        return _form_page(request, form, error=_spec_error(form, error))
    messages.success(request, _("The query is saved."))
    return _to_builder(request, query)


@login_required
@require_http_methods(["GET", "POST"])
def saved_update(request):
    """POST id, version, name, description, spec → the owner's query changed, if the spec
    builds and nobody saved it meanwhile; otherwise the saved query stays as it was and the
    form says why. GET ?id=: the plain form of the query."""
    user = request.user
    if not _may(user, RUN):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    query = sharing.get_editable_query(user, (data or request.GET).get("id"))
    if data is None:
        form = SavedQueryUpdateForm(
            initial={
                "id": query.pk,
                "version": query.version,
                "name": query.name,
                "description": query.description,
                "spec": _json(query.spec),
            }
        )
        return _form_page(request, form, query=query)
    form = SavedQueryUpdateForm(data)
    if not form.is_valid():
        return _form_page(request, form, query=query)
    try:
        sharing.saved_query_update(
            user=user,
            query=query,
            expected_version=form.cleaned_data["version"],
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            spec=form.cleaned_data["spec"],
        )
    except Conflict as conflict:
        if conflict.current is None:
            messages.error(request, _("Somebody deleted this query meanwhile."))
            return redirect("querybuilder:saved")
        form.add_error(
            None,
            _(
                "%(who)s saved this query while you were editing it. Save again to overwrite"
                " their version with yours."
            )
            % {"who": conflict.changed_by or _("another user")},
        )
        fresh = form.data.copy()
        fresh["version"] = conflict.current.version
        form.data = fresh
        return _form_page(request, form, query=query, conflict=conflict, status=409)
    except ValidationError as error:
        query.refresh_from_db()
        return _form_page(request, form, query=query, error=_spec_error(form, error))
    messages.success(request, _("The query is saved."))
    return _to_builder(request, query)


def _json(spec) -> str:
    import json

    return json.dumps(spec, ensure_ascii=False, indent=1)


@login_required
@require_POST
def saved_copy(request, pk: int):
    user = request.user
    if not _may(user, "querybuilder.add_savedquery"):
        raise PermissionDenied
    source = sharing.get_visible_query(user, pk)
    copy = sharing.saved_query_copy(user=user, query=source)
    messages.success(request, _("Your copy is saved: %(name)s.") % {"name": copy.name})
    if _may(user, RUN):
        return _to_builder(request, copy)
    return redirect("querybuilder:saved")


@login_required
@require_http_methods(["GET", "POST"])
def saved_share(request, pk: int):
    user = request.user
    query = sharing.get_editable_query(user, pk)
    if query.company_id is None:  # a built-in query is everybody's already
        raise PermissionDenied
    users = sharing.shareable_users(user, query)
    groups = sharing.shareable_groups(user, query)
    data = request.POST if request.method == "POST" else None
    form = ShareForm(data, users=users, groups=groups, initial=initial_share(query))
    if request.method == "POST" and form.is_valid():
        try:
            sharing.saved_query_share(
                user=user,
                query=query,
                users=form.cleaned_data["users"],
                groups=form.cleaned_data["groups"],
            )
        except ValidationError as error:
            _spec_error(form, error)
        else:
            messages.success(request, _("Sharing is saved."))
            return redirect("querybuilder:saved")
    return render(request, "querybuilder/saved_share.html", {"form": form, "query": query})


@login_required
@require_http_methods(["GET", "POST"])
def saved_delete(request, pk: int):
    user = request.user
    query = sharing.get_editable_query(user, pk, action="delete")
    if request.method == "POST":
        sharing.saved_query_delete(user=user, query=query)
        messages.success(request, _("The query %(name)s is deleted.") % {"name": query.name})
        return redirect("querybuilder:saved")
    return render(
        request,
        "querybuilder/saved_delete.html",
        {"query": query, "schedules": query.schedules.count()},
    )


# --- scheduled reports ------------------------------------------------------------------------


def _recipients(user):
    from django.contrib.auth import get_user_model

    from crm.scoping import current_company_id

    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__company_id=current_company_id(user))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@login_required
@require_http_methods(["GET", "POST"])
def saved_schedules(request, pk: int):
    """A saved query's scheduled reports in the company the user works in, and a form to add
    one (with ``add_scheduledreport``); each recipient gets their own rows."""
    user = request.user
    if not _may(user, "querybuilder.view_scheduledreport"):
        raise PermissionDenied
    query = sharing.get_visible_query(user, pk)
    translated(query)
    schedules = (
        ScheduledReport.objects.visible_to(user)
        .filter(saved_query=query)
        .prefetch_related("recipients")
        .order_by("pk")
    )
    may_add = _may(user, "querybuilder.add_scheduledreport")
    data = request.POST if request.method == "POST" else None
    form = ScheduleForm(data, recipients=_recipients(user)) if may_add else None
    if data is not None:
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            sharing.schedule_save(user=user, query=query, form=form)
            messages.success(request, _("The report is scheduled."))
            return redirect("querybuilder:saved_schedules", pk=query.pk)
    editable = set(
        ScheduledReport.objects.editable_by(user, "delete")
        .filter(saved_query=query)
        .values_list("pk", flat=True)
    )
    changeable = set(
        ScheduledReport.objects.editable_by(user, "change")
        .filter(saved_query=query)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "querybuilder/saved_schedules.html",
        {
            "query": query,
            "schedules": schedules,
            "form": form,
            "deletable": editable,
            "changeable": changeable,
        },
    )


@login_required
@require_POST
def saved_schedule_delete(request, pk: int):
    user = request.user
    schedule = (
        ScheduledReport.objects.visible_to(user).filter(pk=pk).select_related("saved_query").first()
    )
    if schedule is None:
        from django.http import Http404

        raise Http404
    if not ScheduledReport.objects.editable_by(user, "delete").filter(pk=pk).exists():
        raise PermissionDenied
    query_id = schedule.saved_query_id
    schedule.delete()
    messages.success(request, _("The scheduled report is deleted."))
    return redirect("querybuilder:saved_schedules", pk=query_id)
