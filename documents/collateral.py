"""The sales collateral library (issue 24, item 10): folders marked as collateral (and the
folders below them) hold price lists, product sheets and references that salespeople find from
a partner's page and send to one of its contacts, attached to a mail through the outbox.

Who may: only collateral the user sees (``Document.objects.visible_to``), only to a contact
of a partner the user sees (the records' own ``visible_to``, through ``linkables``). A send is
recorded on the partner's timeline by the apps below this one: ``send_recorders`` is the hook
(activities registers a closed e-mail activity there), so documents imports no lower app.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.postgres.search import SearchRank
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import search, services
from .models import Document, Folder, Level

MAX_RESULTS = 50

# Callables ``(user, partner, contact, documents, message, note) -> record | None`` that
# record a send (on the partner's timeline); the documents are linked to what they return.
send_recorders: list[Callable] = []


def register_send_recorder(recorder: Callable) -> None:
    if recorder not in send_recorders:
        send_recorders.append(recorder)


def max_bytes() -> int:
    """How much a send may attach: the setting, within the outbox's own limit (with room
    for the text and the encoding's headers)."""
    return min(settings.DOCUMENTS_COLLATERAL_MAX_BYTES, settings.MESSAGING_MAX_BYTES - 64 * 1024)


# ----------------------------------------------------------------------------- folders


def may_mark(user, folder: Folder) -> bool:
    """Admins (the folder change function) and the folder's managers (a manage grant on it
    or above) mark a folder as collateral."""
    if not Folder.objects.visible_to(user).filter(pk=folder.pk).exists():
        return False
    if user.is_superuser or user.has_perm("documents.change_folder"):
        return True
    return Folder.objects.granted(user, Level.MANAGE).filter(pk=folder.pk).exists()


def folder_mark(*, user, folder: Folder, collateral: bool) -> None:
    if not may_mark(user, folder):
        raise ValidationError(_("Only admins and the folder's managers may change this."))
    Folder.objects.filter(pk=folder.pk).update(is_collateral=collateral)


def in_collateral(folder: Folder) -> bool:
    """Whether ``folder`` is collateral, or below a collateral folder."""
    return Folder.objects.filter(
        is_collateral=True,
        tree_id=folder.tree_id,
        lft__lte=folder.lft,
        rght__gte=folder.rght,
    ).exists()


# ----------------------------------------------------------------------------- finding


def collateral_of(user):
    """The collateral documents ``user`` sees: in a collateral folder or below one."""
    marked = Folder.objects.filter(
        is_collateral=True,
        tree_id=OuterRef("folder__tree_id"),
        lft__lte=OuterRef("folder__lft"),
        rght__gte=OuterRef("folder__rght"),
    )
    return Document.objects.visible_to(user).filter(Exists(marked), current_version__isnull=False)


def collateral_search(user, text: str = ""):
    """The collateral ``user`` sees matching ``text`` through the documents' full-text search
    (``documents.search``: title, description and the file's text, Hungarian stems, accents
    ignored, the last word as a prefix) or holding it as a tag; best first (newest first with
    nothing typed), at most ``MAX_RESULTS``."""
    documents = collateral_of(user).select_related("folder", "current_version")
    query = search.text_query(text, prefix=True)
    if query is None:
        documents = documents.order_by("-updated_at", "-pk")
    else:
        documents = (
            documents.filter(Q(fulltext__vector=query) | Q(tags__icontains=text.strip()))
            .annotate(rank=SearchRank(F("fulltext__vector"), query))
            .order_by(F("rank").desc(nulls_last=True), "-pk")
        )
    return documents.only(
        "title",
        "type",
        "tags",
        "description",
        "updated_at",
        "folder__name",
        "current_version__size",
        "current_version__original_name",
        "current_version__number",
    )[:MAX_RESULTS]


# ----------------------------------------------------------------------------- sending


def _too_big(total: int) -> ValidationError:
    return ValidationError(
        _(
            "The chosen files are %(size).1f MB together, more than the %(limit).1f MB one mail "
            "may carry; choose fewer or smaller files, or send a link instead."
        )
        % {"size": total / 2**20, "limit": max_bytes() / 2**20},
        code="too_big",
    )


def collateral_send(
    *, user, company, partner, contact, documents, subject: str, note: str, token: str
):
    """Mails ``documents`` (collateral ``user`` sees, the caller checked) to ``contact`` of
    ``partner`` as attachments, through the outbox, and records the send (``send_recorders``)
    with the documents linked to the record. One transaction: a refused send records nothing.
    ``token`` (one per form) makes a second post of the same form send nothing more. Returns
    the message."""
    from crm.messaging.models import Message
    from crm.messaging.services import message_queue

    if not documents:
        raise ValidationError(_("Choose at least one document."), code="empty")
    if not contact.email:
        raise ValidationError(_("This contact has no e-mail address."), code="no_address")
    total = sum(d.current_version.size for d in documents)
    if total > max_bytes():
        raise _too_big(total)
    key = f"documents-collateral:{user.pk}:{token}"
    sent = Message.objects.filter(idempotency_key=key).first()
    if sent is not None:
        return sent
    context = {
        "contact": contact,
        "sender": user,
        "company": company,
        "note": note,
        "documents": documents,
    }
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string("documents/mail/collateral.txt", context)
        html = render_to_string("documents/mail/collateral.html", context)
    attachments = []
    for document in documents:
        version = document.current_version
        with version.file.open("rb") as handle:
            attachments.append((version.original_name, handle.read(), version.mime))
    with transaction.atomic():
        message = message_queue(
            channel="email",
            recipient=contact.email,
            company=company,
            owner=user,
            created_by=user,
            subject=subject,
            text=text,
            html=html,
            attachments=tuple(attachments),
            about=partner,
            idempotency_key=key,
        )
        for recorder in send_recorders:
            record = recorder(
                user=user,
                partner=partner,
                contact=contact,
                documents=documents,
                message=message,
                note=note,
            )
            if record is not None:  # the activity's page lists what was sent
                for document in documents:
                    services.link_records(document=document, records=[record])
    return message
