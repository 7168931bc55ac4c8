"""Write operations of the document store: each one transaction, its audit row written with
it. A file is written to storage before its row; when the transaction does not commit, the
file is deleted again, so a rolled-back upload leaves nothing behind."""

import contextlib
import datetime
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import storage, uploads
from .models import Action, Document, DocumentEvent, DocumentLink, DocumentVersion

log = logging.getLogger(__name__)


def record_event(*, document, action: str, user, ip: str | None = None, version=None) -> None:
    """The audit row of ``action``; its subscribers' notices are written with it."""
    from .subscriptions import event_recorded

    event = DocumentEvent.objects.create(
        document_id=document.pk,
        company_id=document.company_id,
        title=document.title[:250],
        version_number=version.number if version is not None else None,
        action=action,
        user=user if getattr(user, "is_authenticated", False) else None,
        ip_address=ip or None,
    )
    event_recorded(event=event, document=document)


def document_create(*, user, company_id: int, links=(), **fields) -> Document:
    """A document's metadata (the first step of attaching), linked to ``links`` (records)."""
    with transaction.atomic():
        document = Document(company_id=company_id, owner=user, created_by=user, **fields)
        document.full_clean()
        document.save()
        link_records(document=document, records=links)
    return document


def document_update(*, document, user, expected_version: int, **fields) -> Document:
    """Changes the details of ``document`` unless someone saved it since ``expected_version``
    (``crm.versioning.Conflict``)."""
    from crm.versioning import save_versioned

    for name, value in fields.items():
        setattr(document, name, value)
    document.full_clean(exclude=["current_version", "checked_out_by", "deleted_by"])
    save_versioned(document, expected_version=expected_version, fields=list(fields))
    return document


def link_records(*, document, records) -> None:
    DocumentLink.objects.bulk_create(
        [
            DocumentLink(
                document=document,
                content_type=ContentType.objects.get_for_model(type(record)),
                object_id=record.pk,
            )
            for record in records
        ],
        ignore_conflicts=True,
    )


def duplicates(*, company_id: int, sha256: str, exclude_document: int | None = None):
    """Documents of the company that already hold a file with this hash (the same file)."""
    found = Document.objects.alive().filter(company_id=company_id, versions__sha256=sha256)
    if exclude_document:
        found = found.exclude(pk=exclude_document)
    return found.distinct()


@contextlib.contextmanager
def _stored_file_cleanup(names: list[str]):
    """Deletes the files named in ``names`` (filled in as they are written) when the block
    raises: the transaction that would have registered them is rolled back."""
    try:
        yield
    except BaseException:
        storage.delete_quietly(names)
        raise


def _save_version(
    *, document, uploaded, checked, user, written: list[str], copy_of: str = "", **extra
):
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=checked.name,
        size=checked.size,
        sha256=checked.sha256,
        mime=checked.mime,
        uploaded_by=user,
        **extra,
    )
    # Streams the file to storage in chunks (its name is in ``written`` before the first byte,
    # so a write that fails half-way is deleted too); a restore copies inside the store.
    if copy_of:
        storage.copy(version.file, copy_of, checked.name, written=written)
    else:
        storage.save(version.file, checked.name, uploaded, written=written)
    version.save()
    document.current_version = version
    document.updated_at = timezone.now()
    document.version += 1
    document.save(update_fields=["current_version", "updated_at", "version"])
    return version


def _refuse_if_checked_out(document, user) -> None:
    if document.checked_out_by_id and document.checked_out_by_id != user.pk:
        holder = document.checked_out_by
        raise ValidationError(
            _("%(name)s has checked this document out since %(when)s; ask them to check it in.")
            % {
                "name": holder.get_full_name() or holder.get_username(),
                "when": formats.date_format(
                    timezone.localtime(document.checked_out_at), "SHORT_DATETIME_FORMAT"
                ),
            }
        )


def _refuse_if_sealed(document) -> None:
    """A generated PDF keeps the one file whose hash was recorded (documents/generator.py)."""
    from .generator_models import Generation

    if Generation.objects.filter(document_id=document.pk, sealed=True).exists():
        raise ValidationError(
            _("This is a generated PDF, sealed with its hash: it takes no new version.")
        )


def version_add(*, document, uploaded, user, ip: str | None = None, checked=None):
    """Stores ``uploaded`` (a Django UploadedFile) as the next version of ``document``, after
    the upload checks (``documents.uploads.check``; ``checked``: a caller's own, such as the
    generator's for HTML templates). Returns (version, duplicates): the other documents of the
    company that hold the same file."""
    checked = checked or uploads.check(uploaded)
    written: list[str] = []
    with _stored_file_cleanup(written), transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        _refuse_if_checked_out(document, user)
        _refuse_if_sealed(document)
        first = document.current_version_id is None
        if first and not document.title:  # "empty: the file's name"
            document.title = checked.name.rsplit(".", 1)[0][:250] or checked.name
            document.save(update_fields=["title"])
        version = _save_version(
            document=document, uploaded=uploaded, checked=checked, user=user, written=written
        )
        record_event(
            document=document,
            action=Action.UPLOAD if first else Action.NEW_VERSION,
            user=user,
            ip=ip,
            version=version,
        )
        same = list(
            duplicates(
                company_id=document.company_id, sha256=checked.sha256, exclude_document=document.pk
            )[:5]
        )
    return version, same


def sibling_create(*, document, uploaded, user, ip: str | None = None):
    """Another file of the same attaching (several dropped at once): a new document with the
    first one's metadata and links, titled by the file's name, holding the file."""
    checked = uploads.check(uploaded)
    written: list[str] = []
    with _stored_file_cleanup(written), transaction.atomic():
        title = checked.name.rsplit(".", 1)[0] if "." in checked.name else checked.name
        sibling = Document.objects.create(
            company_id=document.company_id,
            owner=user,
            created_by=user,
            title=title[:250],
            type=document.type,
            folder_id=document.folder_id,
            description=document.description,
            tags=list(document.tags),
        )
        DocumentLink.objects.bulk_create(
            [
                DocumentLink(document=sibling, content_type_id=ct, object_id=oid)
                for ct, oid in document.links.values_list("content_type_id", "object_id")
            ]
        )
        version = _save_version(
            document=sibling, uploaded=uploaded, checked=checked, user=user, written=written
        )
        record_event(document=sibling, action=Action.UPLOAD, user=user, ip=ip, version=version)
        same = list(
            duplicates(
                company_id=sibling.company_id, sha256=checked.sha256, exclude_document=sibling.pk
            )[:5]
        )
    return sibling, version, same


def version_restore(*, document, version, user, ip: str | None = None):
    """Makes an old version current again, as a new version that copies its file."""
    written: list[str] = []
    with _stored_file_cleanup(written), transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        _refuse_if_checked_out(document, user)
        _refuse_if_sealed(document)
        old = document.versions.get(pk=version.pk)
        checked = uploads.Checked(
            name=old.original_name, size=old.size, sha256=old.sha256, mime=old.mime
        )
        copy = _save_version(
            document=document,
            uploaded=None,
            copy_of=old.file.name,
            checked=checked,
            user=user,
            written=written,
            restored_from=old,
            text_state=old.text_state,
            text_error=old.text_error,
        )
        record_event(document=document, action=Action.RESTORE, user=user, ip=ip, version=copy)
    return copy


def check_out(*, document, user, ip: str | None = None) -> None:
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        _refuse_if_checked_out(document, user)
        if document.checked_out_by_id == user.pk:
            return
        document.checked_out_by = user
        document.checked_out_at = timezone.now()
        document.save(update_fields=["checked_out_by", "checked_out_at", "updated_at"])
        record_event(document=document, action=Action.CHECK_OUT, user=user, ip=ip)


def check_in(*, document, user, ip: str | None = None, force: bool = False) -> None:
    """Releases the lock: the holder, or (``force``) a user who may manage the document."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if not document.checked_out_by_id:
            return
        if document.checked_out_by_id != user.pk and not force:
            _refuse_if_checked_out(document, user)
        document.checked_out_by = None
        document.checked_out_at = None
        document.save(update_fields=["checked_out_by", "checked_out_at", "updated_at"])
        record_event(document=document, action=Action.CHECK_IN, user=user, ip=ip)


def document_delete(*, document, user, ip: str | None = None) -> None:
    """To the trash: hidden everywhere, kept (files too) until the trash is emptied."""
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=user, updated_at=timezone.now()
        )
        if updated:
            record_event(document=document, action=Action.DELETE, user=user, ip=ip)


def document_undelete(*, document, user, ip: str | None = None) -> None:
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, deleted_at__isnull=False).update(
            deleted_at=None, deleted_by=None, updated_at=timezone.now()
        )
        if updated:
            record_event(document=document, action=Action.UNDELETE, user=user, ip=ip)


def trash_empty(*, days: int | None = None, now: datetime.datetime | None = None) -> int:
    """Deletes for good the documents in the trash for more than ``days``
    (``DOCUMENTS_TRASH_DAYS``), their files after the commit. Returns how many. Safe to run
    twice: a second run finds nothing."""
    days = settings.DOCUMENTS_TRASH_DAYS if days is None else days
    limit = (now or timezone.now()) - datetime.timedelta(days=days)
    with transaction.atomic():
        ids = list(
            Document.objects.filter(deleted_at__lt=limit)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        names = list(
            DocumentVersion.objects.filter(document_id__in=ids).values_list("file", flat=True)
        )
        Document.objects.filter(pk__in=ids).update(current_version=None)
        Document.objects.filter(pk__in=ids).delete()
        transaction.on_commit(lambda: storage.delete_quietly(names))
    return len(ids)


def orphan_files_sweep(*, older_than: datetime.timedelta | None = None, months: int = 2) -> int:
    """Deletes stored files of the last ``months`` months (the folders ``documents/<company>/
    <year>/<month>/``) that no version names and that are older than ``older_than`` (an hour
    by default, so an upload still in its transaction is left alone). These are the files of
    transactions that rolled back after the upload's own block had finished (a caller's outer
    transaction): Django has no hook for a rollback, so they are found afterwards. Returns
    how many were deleted."""
    older_than = datetime.timedelta(hours=1) if older_than is None else older_than
    now = timezone.now()
    months_wanted = set()
    day = timezone.localdate()
    for _month in range(months):
        months_wanted.add(f"{day:%Y/%m}")
        day = day.replace(day=1) - datetime.timedelta(days=1)
    store = default_storage
    deleted = 0
    try:
        companies, _files = store.listdir("documents")
    except FileNotFoundError:
        return 0
    for company in companies:
        for month in sorted(months_wanted):
            folder = f"documents/{company}/{month}"
            try:
                _dirs, files = store.listdir(folder)
            except FileNotFoundError:
                continue
            names = [f"{folder}/{name}" for name in files]
            known = set(
                DocumentVersion.objects.filter(file__in=names).values_list("file", flat=True)
            )
            for name in names:
                if name in known:
                    continue
                try:
                    if now - store.get_modified_time(name) < older_than:
                        continue
                except (FileNotFoundError, NotImplementedError):
                    continue
                store.delete(name)
                deleted += 1
    return deleted
