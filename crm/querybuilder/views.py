"""The query builder's pages: the builder, its live preview, running a saved query with its
asked parameters, and the A4 print view (issue 23).

Every view needs ``crm.run_query_builder`` (403 otherwise), and every row shown comes from
``engine.build(spec, request.user)``, which scopes the rows with ``visible_to``. A bad query
(hostile JSON, an unknown field, a malformed date) is shown as a message naming the part of the
query at fault, never a 500.
"""

import datetime
import json
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import exports, sharing
from . import params as asking
from .builtins import translated
from .catalog import catalog as build_catalog
from .engine import QueryError, build
from .models import ExportFormat, SavedQuery

logger = logging.getLogger(__name__)

PERMISSION = "crm.run_query_builder"
PAGE_SIZE = 50
# The print view shows at most this many rows (a longer list belongs in Excel).
PRINT_ROWS = 1000
COUNT_CAP = 10_000
# More columns than this print on a landscape page.
PORTRAIT_COLUMNS = 6


def _allowed(view):
    """Signed in (else the log-in page) and the builder's function (else 403)."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _url(name: str, *args) -> str:
    """The URL of another helper's page, or "" while it is not merged."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _saved_or_404(request, pk):
    """A saved query the user may see (``sharing.get_visible_query``: 404 for "missing" and
    "not yours" alike), its name in the reader's language."""
    saved = sharing.get_visible_query(request.user, pk)
    translated(saved)  # a built-in query's name and description in the reader's language
    return saved


def _title(saved) -> str:
    return (getattr(saved, "name", "") or str(saved)) if saved is not None else ""


@dataclass
class Problem:
    """A query the engine refused: what is at fault and why."""

    part: str
    message: str


def _spec_from_post(request) -> dict:
    """The spec the browser sent (a form field "spec" holding JSON), read as the saved
    queries read it (``sharing.parse_spec``); a ``QueryError`` otherwise."""
    try:
        return sharing.parse_spec(request.POST.get("spec", ""))
    except sharing.SpecError as err:
        raise QueryError(err.reason, _("Query")) from None


# --- Results --------------------------------------------------------------------------------


def _count_text(count: int | None) -> str:
    if count is None:
        return ""
    if count > COUNT_CAP:
        cap = number_format(COUNT_CAP, use_l10n=True, force_grouping=True)
        return _("%(count)s+ rows") % {"count": cap}
    shown = number_format(count, use_l10n=True, force_grouping=True)
    return ngettext("%(count)s row", "%(count)s rows", count) % {"count": shown}


def _plain(value):
    """A chart's value as JSON has it: numbers as numbers (Decimal too), the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _chart(built) -> dict | None:
    if not built.grouped:
        return None
    chart = built.chart()
    return _plain(chart) if chart else None


def _result(
    built, *, after: str = "", before: str = "", size: int | None = None, count: bool = True
) -> dict:
    """The context of a result: a page of rows, its links, the capped count, the chart.
    ``count=False``: the count is asked by the page afterwards (``count`` view), so that a
    large result's counting never holds up its first rows."""
    page = built.page(after=after, before=before, size=size or PAGE_SIZE)
    chart = _chart(built)
    types = [column.type for column in built.columns]
    return {
        "columns": built.columns,
        "rows": [list(zip(row, types, strict=False)) for row in page.rows],
        "next": page.next,
        "previous": page.previous,
        "grouped": built.grouped,
        "count_text": _count_text(built.count(cap=COUNT_CAP)) if count else "",
        "count_later": not count,
        "chart": chart,
        "chart_json": json.dumps(chart) if chart else "",
    }


def _run(
    spec: dict, user, *, params=None, count: bool = False, **page
) -> tuple[dict | None, Problem | None]:
    """Builds and reads one page (its count asked afterwards unless ``count``), or the problem
    that stopped it. A statement the database gives up on (a timeout) is a problem too; it is
    rolled back to its savepoint."""
    try:
        with transaction.atomic():
            built = build(spec, user, params=params or None)
            return _result(built, count=count, **page), None
    except QueryError as err:
        return None, Problem(part=str(getattr(err, "part", "") or _("Query")), message=str(err))
    except DatabaseError:
        logger.warning("A query builder query failed in the database", exc_info=True)
        return None, _database_problem()


def _database_problem() -> Problem:
    return Problem(
        part=_("Query"),
        message=_("The database could not run this query; check its values or narrow it down."),
    )


def _render_result(request, context: dict, *, status: int = 200):
    return render(request, "querybuilder/partials/result.html", context, status=status)


# --- Views ----------------------------------------------------------------------------------


def _js_strings() -> dict:
    """The builder script's words, translated here (the script has no catalogue)."""
    return {
        "base": _("Base"),
        "columns": _("Columns"),
        "add_column": _("Add a column…"),
        "remove": _("Remove"),
        "drag": _("Drag, or use the arrow keys, to reorder"),
        "filters": _("Filters"),
        "all": _("all of these (AND)"),
        "any": _("any of these (OR)"),
        "add_condition": _("Condition"),
        "add_group": _("Group"),
        "add_related": _("Related records…"),
        "has": _("has"),
        "has_no": _("has no"),
        "where": _("where"),
        "field": _("Field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "from": _("from"),
        "to": _("to"),
        "ask": _("Ask when run"),
        "param": _("Parameter name"),
        "me": _("me"),
        "my_team": _("my team"),
        "yes": _("yes"),
        "no": _("no"),
        "choose": _("Choose…"),
        "sort": _("Sort"),
        "add_sort": _("Add a sort…"),
        "ascending": _("ascending"),
        "descending": _("descending"),
        "group": _("Group by"),
        "add_group_by": _("Add a grouping…"),
        "no_trunc": _("exact value"),
        "measures": _("Measures"),
        "add_measure": _("Add a measure…"),
        "of": _("of"),
        "grouped_note": _("Grouped: the result shows the groups and their measures."),
        "date_hint": _("e.g. 2026. 11. 22."),
        "number_hint": _("e.g. 1 234,5"),
        "bad_date": _("Not a date (e.g. 2026. 11. 22.)"),
        "bad_number": _("Not a number (e.g. 1 234,5)"),
        "empty_filter": _("No conditions: every row you may see."),
        "bar": _("Bar"),
        "line": _("Line"),
        "pie": _("Pie"),
    }


@require_GET
@_allowed
def builder(request):
    """The builder page; ``?q=<id>`` opens a saved query the user may see."""
    user = request.user
    saved = _saved_or_404(request, request.GET["q"]) if request.GET.get("q") else None
    spec = getattr(saved, "spec", None) or {}
    save_as = _url("querybuilder:saved_create")
    save = _url("querybuilder:saved_update")
    can_update = bool(
        save
        and saved is not None
        and SavedQuery.objects.editable_by(user).filter(pk=saved.pk).exists()
    )
    can_save_as = bool(
        save_as and (user.is_superuser or user.has_perm("querybuilder.add_savedquery"))
    )
    context = {
        "saved": saved,
        "title": _title(saved),
        "catalog": build_catalog(user),
        "spec": spec,
        "strings": _js_strings(),
        "urls": {
            "preview": reverse("querybuilder:preview"),
            "print": reverse("querybuilder:print"),
            "save_as": save_as if can_save_as else "",
            "save": save if can_update else "",
            "saved_list": _url("querybuilder:saved"),
            "export": _url("querybuilder:export"),
        },
        "can_export": user.has_perm("crm.export_data"),
    }
    return render(request, "querybuilder/builder.html", context)


@require_GET
@_allowed
def catalog(request):
    """What this user may ask, as the builder draws it."""
    return JsonResponse(build_catalog(request.user))


@require_POST
@_allowed
def preview(request):
    """The result of the builder's current query (HTMX): a page of rows, or the problem."""
    context = {"mode": "preview", "problem": None}
    try:
        spec = _spec_from_post(request)
    except QueryError as err:
        context["problem"] = Problem(part=str(err.part), message=str(err))
        return _render_result(request, context)
    asked = asking.asked(spec)  # names and operators suffice to read the values
    params = asking.params_from(request.POST, asked)
    result, problem = _run(
        spec,
        request.user,
        params=params,
        after=request.POST.get("after", ""),
        before=request.POST.get("before", ""),
    )
    context.update(result or {})
    context["problem"] = problem
    return _render_result(request, context)


@require_http_methods(["GET", "POST"])
@_allowed
def count(request):
    """The capped count of a result, asked by its page once the rows are shown: of the
    builder's query (POST, as ``preview``) or of a saved query (GET, as ``run``)."""
    if request.method == "POST":
        try:
            spec = _spec_from_post(request)
        except QueryError:
            return HttpResponse("")
        data = request.POST
    else:
        spec = _saved_or_404(request, request.GET.get("q")).spec or {}
        data = request.GET
    params = asking.params_from(data, asking.asked(spec))
    try:
        with transaction.atomic():
            found = build(spec, request.user, params=params or None).count(cap=COUNT_CAP)
    except (QueryError, DatabaseError):
        found = None
    return render(request, "querybuilder/partials/count.html", {"count_text": _count_text(found)})


@require_GET
@_allowed
def run(request):
    """A saved query run with its asked parameters (a small form above the result)."""
    saved = _saved_or_404(request, request.GET.get("q"))
    spec = saved.spec or {}
    # The catalog (every field, choice and colleague the user may ask about: a few hundred
    # rows made into objects) only labels the asked values' inputs: read it when there are any.
    cat = build_catalog(request.user) if asking.asked(spec) else {}
    asked = asking.asked(spec, cat) if cat else []
    params = asking.params_from(request.GET, asked)
    result, problem = _run(
        spec,
        request.user,
        params=params,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "mode": "run",
        "saved": saved,
        "title": _title(saved),
        "asked": asked,
        "relative": cat.get("relative", []),
        "export_url": _url("querybuilder:export")
        if request.user.has_perm("crm.export_data")
        else "",
        "params_json": json.dumps(params),
        "problem": problem,
        "query_string": query.urlencode(),
        **(result or {}),
    }
    if request.htmx:
        return _render_result(request, context)
    return render(request, "querybuilder/run.html", context)


@require_http_methods(["GET", "POST"])
@_allowed
def print_view(request):
    """The A4 print view of a saved query (GET ``?q=<id>&p_…``) or of the builder's current
    query (POST ``spec``): title, filters as text, date and user, the table and the chart."""
    saved = None
    if request.method == "POST":
        data = request.POST
        try:
            spec = _spec_from_post(request)
        except QueryError as err:
            return render(
                request,
                "querybuilder/print.html",
                {"problem": Problem(part=str(err.part), message=str(err)), "now": timezone.now()},
            )
        if data.get("q"):
            saved = _saved_or_404(request, data["q"])
    else:
        data = request.GET
        saved = _saved_or_404(request, data.get("q"))
        spec = saved.spec or {}
    cat = build_catalog(request.user)
    asked = asking.asked(spec, cat)
    params = asking.params_from(data, asked)
    bases = {b["key"]: b["label"] for b in cat.get("bases", [])}
    title = _title(saved) or bases.get(spec.get("base"), "")
    context = {"saved": saved, "title": title, "now": timezone.now(), "problem": None}
    try:
        with transaction.atomic():
            built = build(spec, request.user, params=params or None)
            result = _result(built, size=PRINT_ROWS)
            context.update(result)
            context["filters"] = built.describe()
            # audited as every export is: who printed which query, when, how many rows
            exports.export_record(
                user=request.user,
                spec=spec,
                params=params,
                saved_query=saved,
                fmt=ExportFormat.PRINT,
                rows=len(result["rows"]),
            )
    except QueryError as err:
        context["problem"] = Problem(part=str(getattr(err, "part", "") or ""), message=str(err))
    except DatabaseError:
        logger.warning("A query builder print failed in the database", exc_info=True)
        context["problem"] = _database_problem()
    columns = context.get("columns") or []
    context["landscape"] = len(columns) > PORTRAIT_COLUMNS
    context["truncated"] = bool(context.get("next"))
    context["print_rows"] = PRINT_ROWS
    return render(request, "querybuilder/print.html", context)
