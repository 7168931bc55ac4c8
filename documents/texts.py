"""Reading the text of uploaded files for the full-text search (``documents.extraction``), in
Celery: every new version is queued once its upload has committed, and the text of the
document's current version is written to its search row (``documents.text_models``).

``text_extract`` is idempotent: a version already read whose text is where it belongs is left
alone; a version that is no longer current gets its state recorded but does not overwrite the
newer text. A file whose text cannot be read stays stored, its version marked ``failed`` with
the reason (an English message marked for translation, shown translated: ``reason_display``).
"""

import logging

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext

from . import extraction
from .models import Document, DocumentVersion, TextState
from .text_models import DocumentText

log = logging.getLogger(__name__)


def text_extract(*, version_id: int) -> str | None:
    """Reads the text of version ``version_id``; returns its text state (None: no such
    version). Storage errors propagate (the task retries them)."""
    version = DocumentVersion.objects.select_related("document").filter(pk=version_id).first()
    if version is None:
        return None
    if version.text_state != TextState.PENDING and not _needs_text(version):
        return version.text_state
    state, error, text = TextState.DONE, "", ""
    with version.file.open("rb") as file:
        try:
            text = extraction.extract(file, version.mime)
        except extraction.Skipped:
            state = TextState.SKIPPED
        except extraction.Unreadable as unreadable:
            state, error = TextState.FAILED, str(unreadable.reason)[:300]
    with transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).update(text_state=state, text_error=error)
        # The document's row locked: a new version committed meanwhile keeps its own text.
        current = (
            Document.objects.select_for_update()
            .filter(pk=version.document_id, current_version_id=version.pk)
            .exists()
        )
        if current:
            DocumentText.objects.update_or_create(
                document_id=version.document_id,
                defaults={"version_id": version.pk, "body": text, "updated_at": timezone.now()},
            )
    return state


def _needs_text(version) -> bool:
    """A current version read before (a restored copy) whose text is not in the search row."""
    if version.document.current_version_id != version.pk:
        return False
    return not DocumentText.objects.filter(
        document_id=version.document_id, version_id=version.pk
    ).exists()


def reason_display(version) -> str:
    """Why the text of ``version`` cannot be read, in the user's language."""
    return gettext(version.text_error) if version.text_error else ""


def queue(version_id: int) -> None:
    from .tasks import extract_text

    extract_text.delay(version_id)


def _version_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        transaction.on_commit(lambda: queue(instance.pk))


def connect() -> None:
    """Every new version is read after its transaction commits (``DocumentsConfig.ready``)."""
    post_save.connect(_version_saved, sender=DocumentVersion, dispatch_uid="documents.texts")


def pending_versions():
    """The current versions whose text is not in the search rows yet (for the command that
    queues them again: after an outage, or on a store filled before the search existed)."""
    read = DocumentText.objects.filter(
        document_id=OuterRef("document_id"), version_id=OuterRef("pk")
    )
    return DocumentVersion.objects.filter(
        document__deleted_at__isnull=True, document__current_version=F("pk")
    ).exclude(Exists(read))
