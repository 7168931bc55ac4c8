"""The "Export (Excel)" and "Export (CSV)" buttons of the partner and contact lists: the list's
filtered rows (never more than the user may see) and chosen columns, written as they are read
(``crm.spreadsheets``), at most ``settings.LIST_EXPORT_MAX_ROWS`` of them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

from crm import access, keyset, spreadsheets
from crm.dates import shown

from . import exports, tables
from .models import AttributeTarget, attach_roles
from .views import (
    ListQuery,
    _column_context,
    _company_id,
    contact_filter_form,
    filtered_contacts,
    filtered_partners,
)

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _too_many(request, queryset, list_url: str):
    """A redirect back to the list (its filters kept) with a message when the filters match
    more rows than an export may hold; None otherwise."""
    limit = settings.LIST_EXPORT_MAX_ROWS
    if keyset.capped_count(queryset, limit) <= limit:
        return None
    messages.error(
        request,
        _(
            "These filters match more than %(limit)s rows, more than an export may hold. "
            "Narrow them down (by owner, county or status, say) and export again."
        )
        % {"limit": number_format(limit, use_l10n=True, force_grouping=True)},
    )
    return redirect(f"{list_url}?{request.GET.urlencode()}" if request.GET else list_url)


def _respond(fmt: str, name: str, head: list[str], rows):
    """The file: CSV streamed line by line, XLSX from a temporary file in chunks."""
    stamp = timezone.localdate().isoformat()
    filename = f"{name}-{stamp}.{fmt}"
    date_format = get_format("SHORT_DATE_FORMAT")
    if fmt == "xlsx":
        output = spreadsheets.xlsx_file(name, head, rows, date_format=date_format)
        return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    lines = spreadsheets.csv_lines(
        head,
        rows,
        show_date=shown("SHORT_DATE_FORMAT"),
        show_number=lambda v: number_format(v, use_l10n=True),
    )
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def partner_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    if not request.user.has_perm("partners.view_partner"):
        raise PermissionDenied
    query = ListQuery(request)
    queryset = filtered_partners(request, query)
    refused = _too_many(request, queryset, reverse("partners:list"))
    if refused is not None:
        return refused
    columns = query.columns["columns"]
    values = exports.value_functions(columns, exports.PARTNER_VALUES, AttributeTarget.PARTNER)
    full = any(c.key == "created" or c.key.startswith("attr:") for c in columns)
    people = access.colleagues(request.user)
    company_id = query.company_id

    def rows():
        after = ""
        while True:
            keys, after = keyset.page_keys(
                queryset, order=query.order, after=after, size=exports.CHUNK
            )
            for row in tables.fetch_rows(company_id, keys, people=people, full=full):
                yield [row.name, *(value(row) for value in values)]
            if not after:
                return

    return _respond(fmt, _("partners"), exports.header(columns), spreadsheets.in_language(rows()))


@login_required
def contact_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    if not request.user.has_perm("partners.view_contact"):
        raise PermissionDenied
    form = contact_filter_form(request)
    filters = getattr(form, "cleaned_data", {})
    queryset = filtered_contacts(request, form, filters, _company_id(request))
    refused = _too_many(request, queryset, reverse("partners:contacts"))
    if refused is not None:
        return refused
    columns = _column_context(request.user, "contacts")["columns"]
    if any(c.key == "responsible" for c in columns):
        queryset = queryset.select_related("responsible")
    values = exports.value_functions(columns, exports.CONTACT_VALUES, AttributeTarget.CONTACT)
    order = ["family_name", "given_name", "id"]

    def rows():
        after = ""
        while True:
            page, after = keyset.page(queryset, order=order, after=after, size=exports.CHUNK)
            for contact in attach_roles(page):
                yield [contact.full_name, *(value(contact) for value in values)]
            if not after:
                return

    return _respond(fmt, _("contacts"), exports.header(columns), spreadsheets.in_language(rows()))
