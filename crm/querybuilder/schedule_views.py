"""Editing a scheduled report: recipients, weekly/monthly and its day, paused or not, and the
values its asked parameters take when it runs (its own, else the query's saved ones).

Only who may change it today (``ScheduledReport.objects.editable_by``: its maker, a superuser)
reaches the page; anybody else gets 404. The parameters are checked by building the query
with them as the editor, the engine's own parsing the run form uses (``2026. 11. 22.``,
``1 234,5``, "this quarter"). A stale page (somebody saved in between) is refused with the
newer version in the form, so saving again overwrites on purpose; a refusal keeps every
value typed and saves nothing.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.versioning import Conflict

from . import params as asking
from . import sharing
from .builtins import translated
from .catalog import catalog as build_catalog
from .engine import QueryError, build
from .forms import ScheduleEditForm
from .values import BadValue, parse_date


def _recipients(company_id: int):
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__company_id=company_id)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _hungarian_dates(value):
    """``2026-11-22`` (a saved query's own form) as ``2026. 11. 22.``; others as they are."""
    many = value if isinstance(value, list | tuple) else [value]
    shown = []
    for one in many:
        try:
            shown.append(formats.date_format(parse_date(one), "SHORT_DATE_FORMAT"))
        except BadValue:
            shown.append(one)
    return shown if isinstance(value, list | tuple) else shown[0]


def _param_errors(spec: dict, user, params: dict) -> tuple[dict, str]:
    """The engine's refusals of the given values: per parameter name, and one for the query
    as a whole when no single value is at fault."""
    try:
        build(spec, user, params=params or None)
    except QueryError as whole:
        errors = {}
        for name, value in params.items():
            try:
                build(spec, user, params={name: value})
            except QueryError as err:
                errors[name] = str(err)
        part = str(whole.part or "")
        return errors, "" if errors else (f"{part}: {whole}" if part else str(whole))
    return {}, ""


@login_required
@require_http_methods(["GET", "POST"])
def saved_schedule_edit(request, pk: int):
    user = request.user
    schedule = sharing.get_editable_schedule(user, pk)
    query = schedule.saved_query
    translated(query)
    spec = query.spec or {}
    cat = build_catalog(user) if asking.asked(spec) else {}
    asked = asking.asked(spec, cat) if cat else []
    for param in asked:  # the schedule's own values over the query's, dates as Hungarians write
        if param.name in (schedule.params or {}):
            param.value = schedule.params[param.name]
        if param.type in ("date", "datetime") and param.op != "relative":
            param.value = _hungarian_dates(param.value)
    recipients = _recipients(schedule.company_id)
    context = {"schedule": schedule, "query": query, "asked": asked}
    context["relative"] = cat.get("relative", [])
    if request.method != "POST":
        form = ScheduleEditForm(
            instance=schedule, recipients=recipients, initial={"version": schedule.version}
        )
        return render(request, "querybuilder/saved_schedule_edit.html", {**context, "form": form})

    form = ScheduleEditForm(request.POST, instance=schedule, recipients=recipients)
    params = asking.params_from(request.POST, asked)  # also shows what was typed
    errors, problem = _param_errors(spec, user, params)
    context.update(param_errors=errors, problem=problem, form=form)
    if not form.is_valid() or errors or problem:
        if errors or problem:
            form.add_error(None, _("Check the values of the parameters."))
        return render(request, "querybuilder/saved_schedule_edit.html", context, status=200)
    try:
        sharing.schedule_update(
            user=user,
            schedule=schedule,
            form=form,
            params=params,
            expected_version=form.cleaned_data["version"],
        )
    except Conflict as conflict:
        if conflict.current is None:
            messages.error(request, _("Somebody deleted this scheduled report meanwhile."))
            return redirect("querybuilder:saved_schedules", pk=query.pk)
        form.add_error(
            None,
            _(
                "Somebody changed this scheduled report while you were editing it. Save again"
                " to overwrite their changes with yours."
            ),
        )
        fresh = form.data.copy()
        fresh["version"] = conflict.current.version
        form.data = fresh
        return render(request, "querybuilder/saved_schedule_edit.html", context, status=409)
    messages.success(request, _("The scheduled report is saved."))
    return redirect("querybuilder:saved_schedules", pk=query.pk)
