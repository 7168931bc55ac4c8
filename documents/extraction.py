"""Text out of a stored file, for the full-text search: one reader per content type (the type
the upload checks found by content, ``documents.uploads``), each a library of the field:
pypdf (PDF), python-docx (DOCX), openpyxl (XLSX), xlrd (XLS), antiword with catdoc behind it
(DOC, Debian packages), and the OpenDocument ``content.xml`` read with defusedxml (ODT, ODS:
their text is that file's text nodes; no library needed for it).

``extract(file, mime)`` returns the text, ``Skipped`` for files that hold no text (images), and
raises ``Unreadable`` with the reason shown to the user (damaged, encrypted, a reader that
failed). Text is capped at ``DOCUMENTS_TEXT_MAX_CHARS`` characters: what the search indexes.
"""

import contextlib
import io
import logging
import shutil
import subprocess
import tempfile
import zipfile

from django.conf import settings
from django.utils.translation import gettext_noop as _

from . import uploads

log = logging.getLogger(__name__)

# ts_headline marks matches with these (documents.search); they must not occur in a text.
MARKS = "\ue000\ue001"
COMMAND_SECONDS = 60


class Unreadable(Exception):
    """The file's text cannot be read; ``reason`` says why: an English message marked for
    translation (``gettext_noop``), stored as it is and translated when shown."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


class Skipped(Exception):
    """A kind of file that holds no text to read (an image)."""


def max_chars() -> int:
    return settings.DOCUMENTS_TEXT_MAX_CHARS


class _Collector:
    """Joins pieces of text up to the cap; ``full`` once it is reached (readers stop then)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    @property
    def full(self) -> bool:
        return self.size >= self.limit

    def add(self, text) -> None:
        if text is None or self.full:
            return
        text = str(text).strip()
        if text:
            self.parts.append(text)
            self.size += len(text) + 1

    def text(self) -> str:
        return "\n".join(self.parts)[: self.limit]


# ----------------------------------------------------------------------------- readers


def _pdf(file, out: _Collector) -> None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(file)
        if reader.is_encrypted:
            # An owner password alone (printing, copying limits) opens with an empty user one.
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise Unreadable(_("The PDF is protected by a password."))
        for page in reader.pages:
            out.add(page.extract_text())
            if out.full:
                break
    except FileNotDecryptedError:
        raise Unreadable(_("The PDF is protected by a password.")) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise Unreadable(_("The PDF is damaged: its text cannot be read.")) from None


def _docx(file, out: _Collector) -> None:
    import docx

    try:
        document = docx.Document(file)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise Unreadable(_("The Word document is damaged: its text cannot be read.")) from error
    for paragraph in document.paragraphs:
        out.add(paragraph.text)
        if out.full:
            return
    for table in document.tables:
        for row in table.rows:
            out.add(" ".join(cell.text for cell in row.cells))
            if out.full:
                return


def _xlsx(file, out: _Collector) -> None:
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise Unreadable(_("The Excel workbook is damaged: its text cannot be read.")) from error
    try:
        for sheet in book.worksheets:
            out.add(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                out.add(" ".join(str(v) for v in row if v is not None))
                if out.full:
                    return
    finally:
        book.close()


def _xls(file, out: _Collector) -> None:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=file.read(), on_demand=True)
    except (xlrd.XLRDError, ValueError, KeyError, IndexError, AssertionError) as error:
        raise Unreadable(_("The Excel workbook is damaged: its text cannot be read.")) from error
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            out.add(sheet.name)
            for row in range(sheet.nrows):
                values = sheet.row_values(row)
                out.add(" ".join(_cell(v) for v in values if v not in ("", None)))
                if out.full:
                    return
    finally:
        book.release_resources()


def _cell(value) -> str:
    """Whole numbers of an XLS (all floats there) without their ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _opendocument(file, out: _Collector) -> None:
    from defusedxml import ElementTree

    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    blocks = {f"{{{text_ns}}}p", f"{{{text_ns}}}h"}
    try:
        with zipfile.ZipFile(file) as archive, archive.open("content.xml") as content:
            for _event, element in ElementTree.iterparse(content):
                if element.tag in blocks:
                    out.add("".join(element.itertext()))
                    element.clear()
                    if out.full:
                        return
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as error:
        raise Unreadable(_("The OpenDocument file is damaged: its text cannot be read.")) from error


def _doc(file, out: _Collector) -> None:
    """Word 97-2003 through antiword; catdoc reads what antiword refuses (Word 6/95)."""
    with _on_disk(file) as path:
        text = _command(["antiword", "-m", "UTF-8.txt", "-w", "0", path])
        if text is None:
            text = _command(["catdoc", "-d", "utf-8", "-w", path])
    if text is None:
        raise Unreadable(_("The Word document is damaged: its text cannot be read."))
    out.add(text)


def _plain(file, out: _Collector) -> None:
    data = file.read(max_chars() * 4)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1250", "replace")
    out.add(text.lstrip("\ufeff"))


READERS = {
    uploads.PDF: _pdf,
    uploads.DOCX: _docx,
    uploads.XLSX: _xlsx,
    uploads.XLS: _xls,
    uploads.ODT: _opendocument,
    uploads.ODS: _opendocument,
    uploads.DOC: _doc,
    uploads.TXT: _plain,
    uploads.CSV: _plain,
}


@contextlib.contextmanager
def _on_disk(file):
    """A path for a command-line reader: the file's own when it has one, else a copy."""
    name = getattr(file, "name", None)
    if isinstance(name, str) and name.startswith("/"):
        yield name
        return
    with tempfile.NamedTemporaryFile(prefix="crm-text-", suffix=".bin") as copy:
        shutil.copyfileobj(file, copy)
        copy.flush()
        yield copy.name


def _command(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        log.warning("%s is not installed: legacy Word files are not read", argv[0])
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, our own temporary path
            argv, capture_output=True, timeout=COMMAND_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")


def clean(text: str) -> str:
    """No NUL (PostgreSQL refuses it in text) and none of the headline's marks."""
    return text.replace("\x00", " ").translate({ord(c): " " for c in MARKS})


def extract(file, mime: str) -> str:
    """The text of ``file`` (a binary file object) of content type ``mime``."""
    reader = READERS.get(mime)
    if reader is None:
        raise Skipped(mime)
    out = _Collector(max_chars())
    if not hasattr(file, "seekable") or not file.seekable():
        file = io.BytesIO(file.read())
    try:
        reader(file, out)
    except (Unreadable, Skipped):
        raise
    except MemoryError:
        raise Unreadable(_("The file is too large to read its text.")) from None
    except Exception as error:  # noqa: BLE001 - a reader's own bug must not lose the file
        log.warning("Text extraction of a %s failed: %r", mime, error)
        raise Unreadable(_("The file's text cannot be read.")) from error
    return clean(out.text())
