"""Exports of a query's result (issue 23): XLSX or CSV of the rows the user may see.

``querybuilder:export`` (POST) takes the query as a spec (JSON, field ``spec``) or a saved
query's id (``query`` or ``q``; with a spec too, the spec is exported and the saved query
named in the audit), the ``format`` (``xlsx`` or ``csv``), the CSV ``separator`` (``;`` or
``,``) and the asked parameters' values (``params``, a JSON object, or fields ``p_<name>``,
several for "between" and "in", as the builder's form sends them). A result of at most
``QUERY_EXPORT_INLINE_ROWS`` rows is written in the request; a larger one (or one PostgreSQL
cannot count quickly) runs in Celery, and the user is sent to ``querybuilder:export_status``:
a progress bar polled by HTMX, then a link to ``querybuilder:export_download``. Every export
is recorded (``ExportRecord``). Status and download are the record's user's only (404 for
anybody else); exporting needs both ``crm.run_query_builder`` and ``crm.export_data`` (403).
"""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import spreadsheets

from . import exports
from .engine import QueryError, build
from .models import ExportRecord, ExportState

PERMISSIONS = ("crm.run_query_builder", "crm.export_data")
FINISHED = (ExportState.DONE, ExportState.FAILED)


class BadExport(Exception):
    """A request the export cannot run: the message, and the part of the query at fault."""

    def __init__(self, message: str, part: str = ""):
        super().__init__(message)
        self.part = part


def _may_export(request) -> None:
    if not all(request.user.has_perm(p) for p in PERMISSIONS):
        raise PermissionDenied


def _record_or_404(request, pk: int) -> ExportRecord:
    """The export if the user made it; 404 for anybody else, whether it exists or not."""
    _may_export(request)
    records = ExportRecord.objects.select_related("saved_query")
    return get_object_or_404(records, pk=pk, user_id=request.user.pk)


LISTED = ("between", "in")  # operators whose asked value is a list


def _asked_ops(node, found: dict) -> dict:
    """The operator of every asked parameter of a filter group: {name: op}."""
    if isinstance(node, dict):
        if node.get("ask") and isinstance(node.get("param"), str):
            found[node["param"]] = node.get("op")
        for child in (node.get("items") or []) + [node.get("filter")]:
            _asked_ops(child, found)
    return found


def _params(post, spec: dict) -> dict:
    """The asked parameters: the ``params`` JSON object (the run page), then ``p_<name>``
    fields (the builder's form: several for "between" and "in") or ``param:<name>``."""
    params = {}
    raw = (post.get("params") or "").strip()
    if raw:
        try:
            params = json.loads(raw)
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise BadExport(_("The parameters could not be read."), _("Parameters"))
    ops = _asked_ops(spec.get("filter") if isinstance(spec, dict) else None, {})
    for key in post:
        for prefix in ("p_", "param:"):
            name = key[len(prefix) :] if key.startswith(prefix) else ""
            if not name:
                continue
            values = [v for v in post.getlist(key) if v.strip()]
            if values:  # an empty field keeps the saved value
                params[name] = values if ops.get(name) in LISTED else values[0]
    return params


def _spec(request):
    """(spec, saved query or None): the posted ``spec``, else the saved query's (``query``, an
    id; 404 when the user does not see it). With both, the spec as edited in the builder is
    exported and the saved query named in the audit."""
    from . import sharing

    saved = None
    pk = request.POST.get("query") or request.POST.get("q")  # the run page's, the builder's
    if pk:
        saved = sharing.get_visible_query(request.user, pk)
        if not (request.POST.get("spec") or "").strip():
            return saved.spec, saved
    try:
        return sharing.parse_spec(request.POST.get("spec", "")), saved
    except sharing.SpecError as err:
        raise BadExport(err.reason, err.part) from None


def _refused(request, err: BadExport | QueryError):
    """The reason an export could not run, on its own page or, for HTMX, as a fragment."""
    context = {"message": str(err), "part": str(getattr(err, "part", "") or "")}
    template = (
        "querybuilder/export_alert.html" if request.htmx else "querybuilder/export_error.html"
    )
    return render(request, template, context, status=400)


@login_required
@require_POST
def export(request):
    _may_export(request)
    try:
        fmt = request.POST.get("format") or "xlsx"
        if fmt not in exports.FORMATS:
            raise BadExport(_("Choose XLSX or CSV."), _("Format"))
        separator = request.POST.get("separator") or ";"
        if separator not in exports.SEPARATORS:
            raise BadExport(_("The CSV separator is ';' or ','."), _("Separator"))
        spec, saved = _spec(request)
        params = _params(request.POST, spec)
        built = build(spec, request.user, params=params)
    except (BadExport, QueryError) as err:
        return _refused(request, err)
    title = saved.name if saved is not None else _("Query")
    limit = settings.QUERY_EXPORT_INLINE_ROWS
    count = built.count(cap=limit)
    if count is None or count > limit:
        record = exports.export_queue(
            user=request.user,
            spec=spec,
            params=params,
            saved_query=saved,
            fmt=fmt,
            separator=separator,
            language=translation.get_language(),
        )
        url = reverse("querybuilder:export_status", args=[record.pk])
        if request.htmx:
            from django_htmx.http import HttpResponseClientRedirect

            return HttpResponseClientRedirect(url)
        return redirect(url)
    record = exports.export_record(
        user=request.user, spec=spec, params=params, saved_query=saved, fmt=fmt, rows=count
    )
    name = exports.filename(title, fmt)
    if fmt == "xlsx":
        output, written = exports.xlsx_file(built, title=title)
        if written != record.rows:
            ExportRecord.objects.filter(pk=record.pk).update(rows=written)
        return FileResponse(
            output, as_attachment=True, filename=name, content_type=exports.XLSX_TYPE
        )
    response = StreamingHttpResponse(
        spreadsheets.in_language(exports.csv_stream(built, separator=separator)),
        content_type=exports.CSV_TYPE,
    )
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
def export_status(request, pk: int):
    """The progress page of a background export; with HTMX only its fragment, polled every
    second until the file is ready or the export failed."""
    record = exports.export_expire_stale(_record_or_404(request, pk))
    context = {"record": record, "finished": record.state in FINISHED}
    if request.htmx:
        return render(request, "querybuilder/export_progress.html", context)
    return render(request, "querybuilder/export_status.html", context)


# The exports listed on "My exports": the newest first (older ones stay in the admin's audit).
LISTED_EXPORTS = 50


@login_required
def export_list(request):
    """The user's own newest exports with their state and, when ready, the file."""
    _may_export(request)
    records = (
        ExportRecord.objects.filter(user_id=request.user.pk)
        .select_related("saved_query")
        .order_by("-created_at", "-pk")[:LISTED_EXPORTS]
    )
    return render(request, "querybuilder/export_list.html", {"records": records})


@login_required
def export_download(request, pk: int):
    record = _record_or_404(request, pk)
    if record.state != ExportState.DONE or not record.file:
        raise Http404
    title = record.saved_query.name if record.saved_query else _("Query")
    content_type = exports.XLSX_TYPE if record.format == "xlsx" else exports.CSV_TYPE
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=exports.filename(title, record.format),
        content_type=content_type,
    )
