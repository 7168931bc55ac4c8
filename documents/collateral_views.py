"""The sales collateral screens: the partner page's "Sales collateral" tab (search, pick,
send to a contact), the send itself, and marking a folder as collateral."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.scoping import current_company_id

from . import collateral
from .linkables import registry
from .models import Folder

NOTE_MAX = 2000


def _contacts(user, partner):
    """The partner's contacts ``user`` sees (erased ones never), by name."""
    kind = registry.get("contact")
    if kind is None:
        return []
    return list(
        kind.visible(user)
        .filter(partner_id=partner.pk, erased_at__isnull=True)
        .order_by("family_name", "given_name", "pk")[:200]
    )


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()][: collateral.MAX_RESULTS]


def collateral_context(request, partner) -> dict:
    """The tab: the collateral found for ``q``, the partner's contacts, and the send form
    (what a refused send chose comes back in the address: ``picked``, ``contact``, ``note``)."""
    user = request.user
    text = request.GET.get("q", "")[:200]
    picked = set(_ids(request.GET.getlist("picked")))
    found = list(collateral.collateral_search(user, text))
    if picked - {d.pk for d in found}:  # chosen before a search narrowed the list
        found += [
            d
            for d in collateral.collateral_of(user)
            .filter(pk__in=picked)
            .select_related("folder", "current_version")
            if d.pk not in {f.pk for f in found}
        ]
    return {
        "q": text,
        "found": found,
        "picked": picked,
        "contacts": _contacts(user, partner),
        "contact_id": request.GET.get("contact", ""),
        "note": request.GET.get("note", "")[:NOTE_MAX],
        "subject": request.GET.get("subject", "")[:200] or _default_subject(_company(user)),
        "token": uuid.uuid4().hex,
        "max_mb": collateral.max_bytes() / 2**20,
    }


def _company(user):
    from crm.models import Company

    return Company.objects.filter(pk=current_company_id(user)).first()


def _default_subject(company) -> str:
    return _("Documents from %(company)s") % {"company": company.name if company else ""}


def _back(partner_pk: int, **kept) -> str:
    query = {"tab": "collateral", **{k: v for k, v in kept.items() if v}}
    return reverse("partners:detail", args=[partner_pk]) + "?" + urlencode(query, doseq=True)


@login_required
@require_POST
def collateral_send(request, partner_pk: int):
    user = request.user
    kind = registry.get("partner")
    partner = kind.visible(user).filter(pk=partner_pk).first() if kind else None
    company = _company(user)
    if partner is None or company is None:
        raise Http404
    ids = _ids(request.POST.getlist("documents"))
    documents = list(
        collateral.collateral_of(user).filter(pk__in=ids).select_related("current_version")
    )
    contact_id = request.POST.get("contact", "")
    note = request.POST.get("note", "").strip()[:NOTE_MAX]
    subject = " ".join(request.POST.get("subject", "").split())[:200]
    kept = {
        "picked": [d.pk for d in documents],
        "contact": contact_id,
        "note": note,
        "subject": subject,
        "q": request.POST.get("q", ""),
    }
    contact = next((c for c in _contacts(user, partner) if str(c.pk) == contact_id), None)
    if contact is None:
        messages.error(request, _("Choose a contact of the partner."))
        return redirect(_back(partner.pk, **kept))
    try:
        message = collateral.collateral_send(
            user=user,
            company=company,
            partner=partner,
            contact=contact,
            documents=documents,
            subject=subject or _default_subject(company),
            note=note,
            token=request.POST.get("token", "")[:64] or uuid.uuid4().hex,
        )
    except (ValidationError, PermissionDenied) as error:
        reason = " ".join(getattr(error, "messages", [])) or _("You may not record this send.")
        messages.error(request, reason)
        return redirect(_back(partner.pk, **kept))
    messages.success(
        request,
        _("Sent to %(name)s (%(address)s); it is on the partner's timeline.")
        % {"name": contact.full_name, "address": message.recipient},
    )
    return redirect(_back(partner.pk))


@login_required
@require_POST
def folder_collateral(request, pk: int):
    """Marks (``collateral=1``) or unmarks a folder as sales collateral."""
    folder = Folder.objects.visible_to(request.user).filter(pk=pk).first()
    if folder is None:
        raise Http404
    marked = request.POST.get("collateral") == "1"
    try:
        collateral.folder_mark(user=request.user, folder=folder, collateral=marked)
    except ValidationError:
        raise PermissionDenied from None
    messages.success(
        request,
        _("“%(name)s” is sales collateral now: salespeople find its documents on partner pages.")
        % {"name": folder.name}
        if marked
        else _("“%(name)s” is no longer sales collateral.") % {"name": folder.name},
    )
    return redirect(reverse("documents:list") + f"?folder={folder.pk}")
