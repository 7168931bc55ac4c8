"""What an uploaded file must be before it is stored: a type on the allow-list by its content
(magic bytes, read by puremagic; inside a zip, the parts that make it DOCX, XLSX, ODT or ODS),
not a ZIP bomb, not empty, not over the size limit, and a name without paths or control
characters (Hungarian letters kept). The file is read in chunks, never whole."""

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import olefile
import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import virus

HEAD_BYTES = 8192

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
TXT = "text/plain"
CSV = "text/csv"

# What the zip formats must hold (an OOXML part; an OpenDocument "mimetype" entry).
OOXML_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX}
OPENDOCUMENT = {ODT, ODS}
# The legacy Office formats share OLE2 with installers (.msi) and others: told apart by the
# streams inside (olefile), whatever the file's name.
OLE_STREAMS = {"WordDocument": DOC, "Workbook": XLS, "Book": XLS}
MSI_CLSID = "000C1084-0000-0000-C000-000000000046"

ALLOWED_DESCRIPTION = "PDF, DOCX, XLSX, ODT, ODS, DOC, XLS, PNG, JPEG, TXT, CSV"


@dataclass(frozen=True)
class Checked:
    name: str
    size: int
    sha256: str
    mime: str


def clean_name(name: str) -> str:
    """The file's own name: no directories (``/`` or ``\\``), no control or format characters,
    no leading dots or trailing spaces, NFC-normalised (``Szerződés ő ű.pdf`` stays), at most
    200 characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if c.isspace() else c for c in name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    if not name:
        return "file"
    if len(name) > 200:
        path = PurePosixPath(name)
        suffix = path.suffix[:20]
        name = name[: 200 - len(suffix)].rstrip() + suffix
    return name


def max_bytes() -> int:
    return settings.DOCUMENTS_MAX_UPLOAD_BYTES


def too_big_message(size: int | None = None) -> str:
    return _("The file is larger than the %(limit)s allowed.") % {
        "limit": filesizeformat(max_bytes())
    }


def _head(uploaded) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    return head


def _sha256(uploaded) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def _zip_type(uploaded) -> str:
    """DOCX, XLSX, ODT or ODS by the zip's parts, read from its central directory (nothing is
    extracted but the few bytes of an OpenDocument ``mimetype`` entry); a ZIP bomb (too much
    uncompressed, too many entries, too high a ratio) is refused."""
    uploaded.seek(0)
    try:
        archive = zipfile.ZipFile(uploaded)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(_("The file is a damaged archive.")) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > settings.DOCUMENTS_ZIP_MAX_ENTRIES:
            raise ValidationError(_("The archive holds too many files to be a document."))
        total = 0
        for entry in entries:
            total += entry.file_size
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > 1024 * 1024 and ratio > settings.DOCUMENTS_ZIP_MAX_RATIO:
                raise ValidationError(
                    _("The archive expands too much (%(ratio)d to 1): refused as a ZIP bomb.")
                    % {"ratio": ratio}
                )
        if total > settings.DOCUMENTS_ZIP_MAX_UNCOMPRESSED:
            raise ValidationError(
                _("The archive would expand to %(size)s: refused as a ZIP bomb.")
                % {"size": filesizeformat(total)}
            )
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" in names:
            for part, mime in OOXML_PARTS.items():
                if part in names:
                    return mime
        if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
            if declared in OPENDOCUMENT:
                return declared
    raise ValidationError(_("A zip archive that is not a DOCX, XLSX, ODT or ODS document."))


def _ole_type(uploaded) -> str:
    """DOC or XLS by the streams of the OLE2 container (its directory, read by olefile; the
    streams themselves are not read); an installer (MSI) or any other OLE2 file is refused."""
    uploaded.seek(0)
    try:
        with olefile.OleFileIO(uploaded) as ole:
            clsid = (ole.root.clsid or "").upper() if ole.root else ""
            streams = {"/".join(path) for path in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - olefile raises many kinds for a damaged file
        raise ValidationError(_("The file is a damaged Office document.")) from None
    finally:
        uploaded.seek(0)
    if clsid == MSI_CLSID:
        raise ValidationError(_("A program cannot be stored as a document."))
    for stream, mime in OLE_STREAMS.items():
        if stream in streams:
            return mime
    raise ValidationError(
        _("An Office file of the old format that is neither a Word (DOC) nor an Excel (XLS) file.")
    )


TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}
MARKUP_STARTS = ("<!doctype", "<html", "<svg", "<?xml", "<script", "<head", "<body")


def _text_type(head: bytes, name: str) -> str | None:
    """Plain text or CSV: no control bytes, readable as UTF-8 (or Windows-1250, Hungarian
    Excel's CSV), and not markup a browser would run."""
    if not head or any(b in TEXT_CONTROLS for b in head):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 4:  # a character cut at the head's end
            text = head[: error.start].decode("utf-8")
        else:
            try:
                text = head.decode("cp1250")
            except UnicodeDecodeError:
                return None
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(MARKUP_STARTS):
        return None
    return CSV if name.lower().endswith(".csv") else TXT


def detect(uploaded, name: str) -> str:
    """The content type of ``uploaded`` by its content, or ValidationError when it is not on
    the allow-list."""
    head = _head(uploaded)
    try:
        matches = puremagic.magic_string(head, filename=name)
    except puremagic.PureError:
        matches = []
    extensions = {m.extension.lower() for m in matches if m.offset == 0}
    if ".pdf" in extensions and head.startswith(b"%PDF"):
        return PDF
    if ".png" in extensions and head.startswith(b"\x89PNG"):
        return PNG
    if extensions & {".jpg", ".jpeg", ".jfif", ".jpe"} and head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_type(uploaded)
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(uploaded)
    if head.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        raise ValidationError(_("A program cannot be stored as a document."))
    text = _text_type(head, name)
    if text:
        return text
    raise ValidationError(
        _("This kind of file cannot be stored. Allowed: %(types)s.")
        % {"types": ALLOWED_DESCRIPTION}
    )


def check(uploaded) -> Checked:
    """The checks of one uploaded file (a Django ``UploadedFile``), its cleaned name, size,
    SHA-256 and content type; ValidationError with a message for the user otherwise."""
    name = clean_name(uploaded.name)
    size = uploaded.size
    if not size:
        raise ValidationError(_("The file is empty."))
    if size > max_bytes():
        raise ValidationError(too_big_message(size))
    mime = detect(uploaded, name)
    virus.scan(uploaded, name)  # when clamd is configured
    return Checked(name=name, size=size, sha256=_sha256(uploaded), mime=mime)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Writes the upload to a temporary file on disk (never to memory, whatever its size) and
    stops reading once a file passes the limit, even when the request did not announce its
    length; the request is then marked (``documents_too_big``) for the view's message."""

    def new_file(self, *args, **kwargs):
        self.received = 0
        return super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > max_bytes():
            self.request.documents_too_big = True
            self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
