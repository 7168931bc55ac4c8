"""The sales reports page and its XLSX export (``sales.reports`` computes them). Both need
``sales.view_opportunity`` and read only what the user sees; bad filters are told on the page
(the export then answers with the page, never a 500)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.spreadsheets import xlsx_sheets

from . import reports
from .views import _company

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request) -> tuple[reports.ReportForm, reports.Filters | None]:
    if not request.GET:
        default = reports.Filters.default()
        initial = {"start": default.start, "end": default.end, "currency": default.currency}
        return reports.ReportForm(initial=initial), default
    form = reports.ReportForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, reports.Filters(
        start=data["start"],
        end=data["end"],
        currency=data["currency"],
        mine=data.get("mine") == "1",
    )


def _need(user) -> None:
    if not user.has_perm("sales.view_opportunity"):
        raise PermissionDenied


@login_required
def report_page(request):
    user = request.user
    _need(user)
    form, filters = _filters(request)
    report = reports.build(user, _company(user), filters) if filters else None
    shown = filters or reports.Filters.default()
    query = request.GET.urlencode()
    return render(
        request,
        "sales/reports.html",
        {
            "form": form,
            "report": report,
            "filters": shown,
            "chart": reports.chart_data(report) if report else None,
            "presets": [
                {"key": key, "label": label, "start": start, "end": end}
                for key, label, start, end in reports.presets(timezone.localdate())
            ],
            "export_query": query,
        },
        status=200 if report else 400,
    )


@login_required
def report_export(request):
    user = request.user
    _need(user)
    form, filters = _filters(request)
    if filters is None:
        return report_page(request)
    report = reports.build(user, _company(user), filters)
    content = xlsx_sheets(reports.sheets(report))
    name = _("sales-report") + f"-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
