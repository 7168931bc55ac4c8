"""The tax authority (NAV) check of the partner form: the live verdict under the tax number
field, and "Fill the empty fields" with NAV's name and seat (``partners.taxcheck``)."""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from crm.validators import normalise_tax_number

from . import taxcheck
from .forms import PartnerForm, address_formset

# Form fields NAV's answer may fill, and where in the answer each comes from.
FILLED = {
    "name": lambda t: t.name,
    "short_name": lambda t: t.short_name,
    "postcode": lambda t: t.seat.postcode if t.seat else "",
    "city": lambda t: t.seat.city if t.seat else "",
    "street": lambda t: t.seat.street if t.seat else "",
}


def _may_edit_partners(user) -> bool:
    return user.has_perm("partners.add_partner") or user.has_perm("partners.change_partner")


@login_required
@require_GET
def partner_nav_check(request):
    """NAV's verdict on the typed tax number (HTMX, when the field changes). It tells nothing
    about the CRM's own records, only what NAV says of a number the user typed."""
    if not _may_edit_partners(request.user):
        raise PermissionDenied
    raw = request.GET.get("tax_number", "")[:40]
    context = {"nav": None, "checksum_error": "", "can_fill": request.GET.get("fill") == "1"}
    if raw.strip():
        try:
            context["nav"] = taxcheck.check(normalise_tax_number(raw))
        except ValidationError as error:
            context["checksum_error"] = " ".join(error.messages)
    return render(request, "partners/partials/nav_check.html", context)


@login_required
@require_POST
def partner_nav_fill(request):
    """Fills the empty fields of the new-partner form with NAV's name and seat, and renders
    the form again (nothing is saved; a field the user filled in is left as it is)."""
    if not request.user.has_perm("partners.add_partner"):
        raise PermissionDenied
    data = request.POST.copy()
    verdict = None
    with contextlib.suppress(ValidationError):  # the form shows the checksum error itself
        verdict = taxcheck.check(normalise_tax_number(data.get("tax_number", "")[:40]))
    if verdict and verdict.state == taxcheck.VALID:
        for name, value in FILLED.items():
            if not data.get(name, "").strip() and value(verdict.taxpayer):
                data[name] = value(verdict.taxpayer)
    form = PartnerForm(data)
    return render(
        request,
        "partners/partials/partner_form_body.html",
        {
            "form": form,
            "addresses": address_formset(request.POST),
            "registry_financials": request.POST.get("registry_financials", ""),
            "registry_enabled": _registry_enabled(),
        },
    )


def warn_if_unchecked(request, form) -> None:
    """After a save: say so when NAV gave no verdict on the new tax number."""
    if form.nav_check and form.nav_check.state == taxcheck.UNANSWERED:
        messages.warning(request, form.nav_check.message)


def _registry_enabled() -> bool:
    return bool(settings.COMPANY_INFO_URL)
