"""A document's links, changed after it was filed: link it to another partner, contact or
activity the user sees (found by name), or unlink one. Only users who may change the
document do this (404 when they do not see it, 403 when they see it but may not change it),
and only links to records they see are shown or removed: a link to a record hidden from the
user stays as it is."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .linkables import registry
from .models import Document, DocumentLink
from .views import _editable_or_404, _linked

# The fields a kind's records are found by; a kind added later without an entry is found by
# its "name" field when it has one.
SEARCH_FIELDS = {
    "partner": ["name"],
    "contact": ["family_name", "given_name"],
    "activity": ["subject"],
}
RESULTS = 20


def _search_fields(kind) -> list[str]:
    fields = SEARCH_FIELDS.get(kind.key)
    if fields:
        return fields
    try:
        kind.model()._meta.get_field("name")
    except FieldDoesNotExist:
        return []
    return ["name"]


def find_records(user, kind, text: str) -> list:
    """Up to ``RESULTS`` records of ``kind`` visible to ``user`` whose search fields contain
    every word of ``text``."""
    fields = _search_fields(kind)
    words = text.split()[:5]
    if not fields or not words:
        return []
    records = kind.visible(user)
    for word in words:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        records = records.filter(condition)
    return list(records.order_by("-pk")[:RESULTS])


def link_add(*, document, record) -> bool:
    """Links ``document`` to ``record``; False when it was linked already."""
    content_type = ContentType.objects.get_for_model(type(record))
    with transaction.atomic():
        _link, created = DocumentLink.objects.get_or_create(
            document=document, content_type=content_type, object_id=record.pk
        )
        if created:
            Document.objects.filter(pk=document.pk).update(updated_at=timezone.now())
    return created


def link_remove(*, document, record) -> None:
    content_type = ContentType.objects.get_for_model(type(record))
    with transaction.atomic():
        DocumentLink.objects.filter(
            document=document, content_type=content_type, object_id=record.pk
        ).delete()
        Document.objects.filter(pk=document.pk).update(updated_at=timezone.now())


def _record(user, kind_key: str, pk):
    kind = registry.get(kind_key or "")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return kind, None
    if kind is None:
        return None, None
    return kind, kind.visible(user).filter(pk=pk).first()


@login_required
def document_links(request, pk: int):
    user = request.user
    document = _editable_or_404(user, pk)
    if request.method == "POST":
        kind, record = _record(user, request.POST.get("kind"), request.POST.get("record"))
        if record is None:
            messages.error(request, _("The record to link is not found."))
        elif request.POST.get("action") == "remove":
            link_remove(document=document, record=record)
            messages.success(request, _("Unlinked from “%(record)s”.") % {"record": record})
        elif link_add(document=document, record=record):
            messages.success(request, _("Linked to “%(record)s”.") % {"record": record})
        else:
            messages.info(request, _("It was linked to “%(record)s” already.") % {"record": record})
        url = reverse("documents:links", args=[document.pk])
        text = request.POST.get("q", "").strip()[:100]
        if kind is not None and text:  # back to the same search
            url += "?" + urlencode({"kind": kind.key, "q": text})
        return redirect(url)
    kinds = [k for k in registry.ordered() if _search_fields(k)]
    chosen = registry.get(request.GET.get("kind", "")) or (kinds[0] if kinds else None)
    text = request.GET.get("q", "").strip()[:100]
    found = find_records(user, chosen, text) if chosen and text else []
    linked = _linked(user, document)
    linked_keys = {(item["kind"].key, item["record"].pk) for item in linked}
    return render(
        request,
        "documents/document_links.html",
        {
            "document": document,
            "links": linked,
            "kinds": kinds,
            "chosen": chosen,
            "q": text,
            "found": [{"record": r, "linked": (chosen.key, r.pk) in linked_keys} for r in found],
        },
    )
