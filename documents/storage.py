"""The document store's files, through Django's storage API (``default_storage``): the file
system under ``MEDIA_ROOT`` or an S3-compatible store (django-storages, ``FILE_STORAGE=s3``).

What the store needs beyond ``Storage.save``/``open``/``delete``:

- ``save``: the name is chosen before the first byte is written and handed to the caller, so
  a write that fails half-way (a disk that fills up, an S3 server that goes away) can still be
  deleted; a storage error becomes ``StorageUnavailable``, a message for the user.
- ``open_stream``: a download read in chunks from the store (S3: the object's body as it
  arrives, not a copy spooled to a temporary file first).
- ``copy``: a restored version's file, copied inside the store (S3: server-side).
"""

import logging

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

UNAVAILABLE = _(
    "The file store cannot be reached now, so the file was not saved (nothing else changed)."
    " Please try again in a few minutes; if it persists, tell the administrator."
)


UNAVAILABLE_READ = _(
    "The file store cannot be reached now, so the file cannot be downloaded. Please try again"
    " in a few minutes; if it persists, tell the administrator."
)


class StorageUnavailable(ValidationError):
    """The store refused or could not be reached: nothing was registered."""

    def __init__(self, message=UNAVAILABLE):
        super().__init__(message, code="storage")


def storage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the store failed" (not "the request was bad")."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # django-storages' S3 extra not installed: file system only
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)


def is_s3(storage=None) -> bool:
    storage = storage or default_storage
    return hasattr(storage, "bucket") and hasattr(storage, "_normalize_name")


def _key(storage, name: str) -> str:
    from storages.utils import clean_name

    return storage._normalize_name(clean_name(name))


def save(field_file, filename: str, content, *, written: list[str]) -> str:
    """Stores ``content`` (a file object, read in chunks) for ``field_file`` (a ``FileField``
    of an unsaved row) under a fresh name built by the field's ``upload_to``; the name goes
    into ``written`` before the write starts, so the caller can delete a half-written file.
    Returns the name; raises ``StorageUnavailable`` when the store fails."""
    field = field_file.field
    name = field.generate_filename(field_file.instance, filename)
    written.append(name)
    try:
        stored = field_file.storage.save(name, content, max_length=field.max_length)
    except storage_errors() as error:
        log.warning("Storing %s failed: %r", name, error)
        raise StorageUnavailable() from error
    if stored != name:  # the storage chose another name (it should not: names are random)
        written.append(stored)
    field_file.name = stored
    field_file._committed = True
    return stored


def copy(field_file, source_name: str, filename: str, *, written: list[str]) -> str:
    """A copy of the stored file ``source_name`` for ``field_file`` (see ``save``): S3 copies it
    on the server, the file system copies it in chunks."""
    storage = field_file.storage
    if not is_s3(storage):
        with storage.open(source_name, "rb") as source:
            return save(field_file, filename, source, written=written)
    field = field_file.field
    name = field.generate_filename(field_file.instance, filename)
    written.append(name)
    try:
        storage.bucket.Object(_key(storage, name)).copy_from(
            CopySource={"Bucket": storage.bucket_name, "Key": _key(storage, source_name)}
        )
    except storage_errors() as error:
        log.warning("Copying %s to %s failed: %r", source_name, name, error)
        raise StorageUnavailable() from error
    field_file.name = name
    field_file._committed = True
    return name


class _Body:
    """An S3 object's body as a file object for ``FileResponse``: read in chunks as it arrives
    over the connection, closed with the response."""

    def __init__(self, body):
        self.body = body

    def read(self, size: int = -1) -> bytes:
        return self.body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self.body.close()


def open_stream(name: str, storage=None):
    """The stored file ``name`` opened for reading in chunks; FileNotFoundError when it is
    not there, ``StorageUnavailable`` when the store cannot be reached."""
    storage = storage or default_storage
    try:
        if not is_s3(storage):
            return storage.open(name, "rb")
        from botocore.exceptions import ClientError

        try:
            answer = storage.connection.meta.client.get_object(
                Bucket=storage.bucket_name, Key=_key(storage, name)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from None
            raise
        return _Body(answer["Body"])
    except FileNotFoundError:
        raise
    except storage_errors() as error:
        log.warning("Reading %s failed: %r", name, error)
        raise StorageUnavailable(UNAVAILABLE_READ) from error


def delete_quietly(names) -> None:
    """Deletes each of ``names``; a failure is logged, not raised (what is left over is found
    by ``services.orphan_files_sweep``)."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - one failure must not stop the rest
            log.exception("Could not delete %s from storage", name)
