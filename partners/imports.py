"""Import of partners and contacts from CSV and XLSX files.

The way of a file:

1. upload: ``check_upload`` refuses what cannot be read safely (size, type, a ZIP bomb, a
   renamed binary), ``open_table`` reads the header row (no empty or repeated names);
2. mapping: ``suggest_mapping`` maps the columns to fields by their names (Hungarian or
   English), or offers the user's last mapping of the same header row first
   (``ImportMapping``); ``clean_mapping`` checks what the user chose;
3. preview: ``preview`` shows the first rows and every row error (of the first
   ``PREVIEW_CHECK_ROWS`` rows), without writing anything;
4. run: the Celery task ``partners.import_run`` claims the job and calls ``import_file``;
5. report: a CSV of every row (created, updated, skipped, failed, and why), UTF-8 with BOM and
   ``;`` for Hungarian Excel, cells that Excel would run as formulas neutralised.

Partners are written set-based, a chunk of ``CHUNK_ROWS`` rows at a time: a reader thread
reads and validates rows in Python (the same validators as the forms) and hands chunks over a
small queue (memory stays flat); a writer (``PARTNERS_IMPORT_WRITERS`` of them, each with its
own connection) looks up the chunk's keys, COPYs the rows into a temporary staging table and
writes them with a handful of ``INSERT … SELECT`` / ``UPDATE … FROM`` statements (conflicts,
insert, update, owners, tags, external ids), one transaction per chunk, never a per-row save.
As the tables grow, the planner's statistics are brought up to date (``_Statistics``).
Every row still gets its change-history event, with the importing user as context: new
partners' and owner rows' events are written by the insert's own statement
(``_with_history``), the others by the history triggers.
Contacts go through the contact services row by row (they queue the GDPR notice), a savepoint
per row, a transaction per ``CONTACT_CHUNK_ROWS``.

An empty cell never clears a stored value: it means "not given". Rows are numbered as in a
spreadsheet: the header is row 1.
"""

from __future__ import annotations

import codecs
import copy
import csv
import datetime
import functools
import hashlib
import io
import logging
import queue
import re
import tempfile
import threading
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg.types.json import Jsonb

from crm.spreadsheets import looks_like_formula, neutralise
from crm.validators import normalise_registration_number, normalise_tax_number

from . import attributes, taxcheck
from . import financials as balance
from .models import (
    AttributeDefinition,
    AttributeTarget,
    ConsentSource,
    Contact,
    ContactRole,
    ContactType,
    County,
    ExternalId,
    ImportJob,
    ImportKind,
    ImportMapping,
    ImportState,
    Industry,
    Language,
    Partner,
    PartnerOwner,
    Tag,
)

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000  # partner rows per staging COPY and transaction
CONTACT_CHUNK_ROWS = 500  # contact rows per transaction (a savepoint each)
PREVIEW_ROWS = 20  # rows shown in the preview
PREVIEW_ERROR_CAP = 200  # row errors listed in the preview (all are counted)
PREVIEW_CHECK_ROWS = 50_000  # rows the preview validates; the run checks every row
REPORT_NAME_LIMIT = 200

# XLSX files are ZIP archives: what their members may unpack to before openpyxl opens them.
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
MAX_UNPACKED_FACTOR = 50  # the whole archive over the file size (real XLSX: 5–25×)
MAX_MEMBER_RATIO = 100  # one member (zeros deflate about 1000:1)
MIN_CHECKED_BYTES = 10 * 1024 * 1024  # below this, unpacking cannot hurt
MAX_MEMBERS = 10_000

SIMPLE_VALIDATORS = (MaxLengthValidator, ProhibitNullCharactersValidator)
SEPARATORS = re.compile(r"[;,\n]+")
# Hungarian numbers already written the way the forms store them (``+36 1 234 5678``,
# ``+36 30 123 4567``): the phone library would give them back unchanged, so a million-row
# file need not pay for parsing each. RowParser checks the claim against the library.
CANONICAL_PHONE = re.compile(r"^\+36 (?:1 \d{3} \d{4}|[2-9]\d \d{3} \d{3,4})$")
CANONICAL_PHONE_SAMPLES = ("+36 1 234 5678", "+36 30 123 4567", "+36 27 307 591", "+36 99 000 0000")
TAG_SEPARATORS = re.compile(r"[;\n]+")


# ----------------------------------------------------------------------------- reading files


def _refuse(message, code: str):
    raise ValidationError(message, code=code)


def check_upload(uploaded) -> str:
    """Refuses a file that cannot be imported safely; returns its format, ``csv`` or ``xlsx``.
    ``uploaded`` is an uploaded file (or any named, sized, seekable binary file)."""
    suffix = Path(uploaded.name or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        _refuse(
            _("Upload a CSV or an XLSX (Excel) file; %(name)s is neither.")
            % {"name": Path(uploaded.name or "").name},
            "extension",
        )
    size = uploaded.size
    limit = settings.PARTNERS_IMPORT_MAX_BYTES
    if size > limit:
        _refuse(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported at once.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            "too_big",
        )
    if size == 0:
        _refuse(_("The file is empty."), "empty")
    uploaded.seek(0)
    if suffix == ".xlsx":
        _check_xlsx(uploaded, size)
    else:
        head = uploaded.read(8192)
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _refuse(_("This is not a CSV text file."), "not_csv")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _refuse(_("Save the CSV file as UTF-8 (or Windows-1250), not UTF-16."), "utf16")
    uploaded.seek(0)
    return suffix[1:]


# How much of each workbook part is read for a DOCTYPE before its root element.
XML_PROLOG_BYTES = 64 * 1024


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _check_xlsx(handle, size: int) -> None:
    """A valid OOXML workbook whose members do not unpack to far more than the file: checked
    from the ZIP directory before any XML is parsed. (Python's zipfile never unpacks more than
    a member's declared size, so the declared sizes can be trusted.)"""
    not_xlsx = _("This is not a valid XLSX (Excel) file. Save it again as an Excel workbook.")
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse(not_xlsx, "not_xlsx")
    with archive:
        members = archive.infolist()
        names = {info.filename for info in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            _refuse(not_xlsx, "not_xlsx")
        bomb = _("The XLSX file unpacks to far more data than it holds; it is refused.")
        if len(members) > MAX_MEMBERS:
            _refuse(bomb, "zip_bomb")
        total = 0
        for info in members:
            total += info.file_size
            if info.file_size > MIN_CHECKED_BYTES and info.file_size > MAX_MEMBER_RATIO * max(
                info.compress_size, 1
            ):
                _refuse(bomb, "zip_bomb")
        if total > MAX_UNPACKED_BYTES or (
            total > MIN_CHECKED_BYTES and total > MAX_UNPACKED_FACTOR * size
        ):
            _refuse(bomb, "zip_bomb")
    handle.seek(0)


def normalise_header(text: str) -> str:
    """``E-mail cím`` → ``e mail cim``; ``ext:ERP`` → ``ext:erp``."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z:_]+", " ", text).split())


def header_signature(headers: list[str]) -> str:
    return hashlib.sha256("\n".join(normalise_header(h) for h in headers).encode()).hexdigest()


def _check_headers(headers: list[str]) -> list[str]:
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        _refuse(_("The first row must name the columns, but it is empty."), "no_header")
    seen = {}
    for number, name in enumerate(headers, start=1):
        if not name:
            _refuse(
                _("Column %(number)s has no name in the header row; name every column.")
                % {"number": number},
                "empty_header",
            )
        normalised = normalise_header(name) or name
        if normalised in seen:
            _refuse(
                _("The header row names the column %(name)s twice (columns %(a)s and %(b)s).")
                % {"name": name, "a": seen[normalised], "b": number},
                "duplicate_header",
            )
        seen[normalised] = number
    return headers


class Table:
    """The rows of a file: ``headers`` (stripped), and ``rows()`` yielding ``(row number,
    cells)`` with as many cells as headers, stripped, blank rows left out."""

    headers: list[str]
    total_hint: int | None = None  # the row count a file declares (XLSX), if any

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def _fit(self, cells: list[str]) -> list[str]:
        width = len(self.headers)
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        return cells[:width]


def detect_encoding(handle) -> str:
    """``utf-8-sig`` (with BOM), ``utf-8``, ``cp1250`` (what Hungarian Excel writes) or
    ``iso-8859-2``: the first that decodes the whole file (read in blocks, not at once)."""
    handle.seek(0)
    head = handle.read(4)
    handle.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1250"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while block := handle.read(1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            handle.seek(0)
            continue
        handle.seek(0)
        return encoding
    handle.seek(0)
    return "iso-8859-2"


class CsvTable(Table):
    def __init__(self, handle):
        self.encoding = detect_encoding(handle)
        self._text = io.TextIOWrapper(handle, encoding=self.encoding, newline="")
        sample = self._text.read(64 * 1024)
        self._text.seek(0)
        self.delimiter = _sniff_delimiter(sample)
        self._reader = csv.reader(self._text, delimiter=self.delimiter, strict=False)
        try:
            first = next(self._reader, None)
        except csv.Error:
            _refuse(_("This is not a CSV text file."), "not_csv")
        self.headers = _check_headers([c.strip() for c in (first or [])])

    def rows(self):
        number = 1
        try:
            for cells in self._reader:
                number += 1
                if not any(c.strip() for c in cells):
                    continue
                yield number, self._fit([c.strip() for c in cells])
        except csv.Error as exc:
            raise ValidationError(
                _("Row %(row)s cannot be read: %(error)s") % {"row": number + 1, "error": exc},
                code="bad_csv",
            ) from None

    def close(self):
        self._text.detach()


def _sniff_delimiter(sample: str) -> str:
    lines = sample.splitlines()[:20]
    header = lines[0] if lines else ""
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ""
    if delimiter and delimiter in header:
        return delimiter
    counts = {d: header.count(d) for d in ";,\t"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _refuse_doctypes(handle) -> None:
    """A workbook part with a DOCTYPE (where XML entities are declared: "billion laughs") is
    refused before openpyxl parses it; with lxml installed openpyxl does not use defusedxml. A
    DOCTYPE can only stand before the root element, so each part's start is enough."""
    not_xlsx = _("This is not a valid XLSX (Excel) file. Save it again as an Excel workbook.")
    try:
        with zipfile.ZipFile(handle) as archive:
            for info in archive.infolist():
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                with archive.open(info) as member:
                    start = member.read(XML_PROLOG_BYTES)
                if b"<!DOCTYPE" in start or not re.search(rb"<[A-Za-z_]", start):
                    _refuse(not_xlsx, "not_xlsx")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse(not_xlsx, "not_xlsx")
    handle.seek(0)


class XlsxTable(Table):
    def __init__(self, handle):
        import openpyxl

        _refuse_doctypes(handle)
        try:
            self._book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            sheet = self._book.active or self._book.worksheets[0]
            try:
                hint = int(sheet.max_row or 0) - 1  # from the sheet's recorded dimension
            except (TypeError, ValueError):
                hint = 0
            self.total_hint = hint if hint > 0 else None
            # The recorded dimension may be wrong (some programs write A1:A1): read every row.
            sheet.reset_dimensions()
            self._rows = sheet.iter_rows(values_only=True)
            first = next(self._rows, None)
        except Exception:  # openpyxl raises many kinds on a damaged workbook
            logger.info("unreadable XLSX", exc_info=True)
            _refuse(
                _("This is not a valid XLSX (Excel) file. Save it again as an Excel workbook."),
                "not_xlsx",
            )
        self.headers = _check_headers([_cell_text(c) for c in (first or ())])

    def rows(self):
        number = 1
        try:
            for values in self._rows:
                number += 1
                cells = [_cell_text(v) for v in values]
                if not any(cells):
                    continue
                yield number, self._fit(cells)
        except Exception as exc:
            logger.info("XLSX row %s unreadable", number, exc_info=True)
            raise ValidationError(
                _("Row %(row)s cannot be read: %(error)s") % {"row": number, "error": exc},
                code="bad_xlsx",
            ) from None

    def close(self):
        self._book.close()


def _raw(handle):
    """The plain binary file inside Django's File wrappers (TextIOWrapper needs one)."""
    while not isinstance(handle, io.IOBase) and hasattr(handle, "file"):
        handle = handle.file
    return handle


@contextmanager
def open_table(handle, fmt: str):
    """The rows of an open binary file of format ``csv`` or ``xlsx``."""
    handle = _raw(handle)
    handle.seek(0)
    table = XlsxTable(handle) if fmt == "xlsx" else CsvTable(handle)
    try:
        yield table
    finally:
        table.close()


def file_format(name: str) -> str:
    return "xlsx" if name.lower().endswith(".xlsx") else "csv"


@contextmanager
def open_job_table(job: ImportJob, path: Path | str | None = None):
    fmt = file_format(str(path or job.original_name))
    handle = open(path, "rb") if path else job.file.open("rb")  # noqa: SIM115
    with handle, open_table(handle, fmt) as table:
        yield table


# ----------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class Field:
    name: str
    label: object  # lazy text
    synonyms: tuple[str, ...] = ()


def _model_label(model, name: str):
    return model._meta.get_field(name).verbose_name


PARTNER_FIELDS = [
    Field(
        "name",
        _model_label(Partner, "name"),
        (
            "nev",
            "name",
            "cegnev",
            "partner",
            "partner neve",
            "megnevezes",
            "company",
            "company name",
        ),
    ),
    Field("short_name", _model_label(Partner, "short_name"), ("rovid nev", "rovidnev")),
    Field(
        "tax_number",
        _model_label(Partner, "tax_number"),
        ("adoszam", "tax number", "tax id", "ado szam"),
    ),
    Field(
        "eu_vat_number",
        _model_label(Partner, "eu_vat_number"),
        ("kozossegi adoszam", "eu adoszam", "eu vat number", "vat number", "eu vat"),
    ),
    Field(
        "registration_number",
        _model_label(Partner, "registration_number"),
        ("cegjegyzekszam", "cegjegyzek szam", "registration number"),
    ),
    Field(
        "postcode",
        _model_label(Partner, "postcode"),
        ("iranyitoszam", "irsz", "postcode", "zip", "zip code", "postal code"),
    ),
    Field("city", _model_label(Partner, "city"), ("varos", "telepules", "helyseg", "city", "town")),
    Field(
        "street",
        _model_label(Partner, "street"),
        ("cim", "utca", "utca hazszam", "street", "address", "street address"),
    ),
    Field("county", _model_label(Partner, "county"), ("megye", "varmegye", "county")),
    Field(
        "phones",
        _model_label(Partner, "phones"),
        ("telefon", "telefonszam", "tel", "phone", "phone number", "mobil"),
    ),
    Field(
        "emails",
        _model_label(Partner, "emails"),
        ("e mail", "email", "e mail cim", "email cim", "e mails", "emails"),
    ),
    Field(
        "website",
        _model_label(Partner, "website"),
        ("honlap", "weboldal", "weblap", "web", "url", "website", "web site"),
    ),
    Field(
        "industry",
        _model_label(Partner, "industry"),
        ("teaor", "teaor kod", "agazat", "tevekenyseg", "industry"),
    ),
    Field(
        "headcount",
        _model_label(Partner, "headcount"),
        ("letszam", "dolgozok szama", "alkalmazottak szama", "headcount", "employees"),
    ),
    Field(
        "notes",
        _model_label(Partner, "notes"),
        ("megjegyzes", "megjegyzesek", "note", "notes", "comment"),
    ),
    Field("tags", _model_label(Partner, "tags"), ("cimke", "cimkek", "csoport", "tag", "tags")),
    Field(
        "owner",
        gettext_lazy("owner"),
        ("felelos", "uzletkoto", "tulajdonos", "owner", "account manager"),
    ),
]

CONTACT_FIELDS = [
    Field(
        "partner_tax_number",
        gettext_lazy("partner's tax number"),
        ("adoszam", "partner adoszam", "partner adoszama", "ceg adoszama", "tax number"),
    ),
    Field("title", _model_label(Contact, "title"), ("titulus", "elotag", "title")),
    Field(
        "family_name",
        _model_label(Contact, "family_name"),
        ("vezeteknev", "csaladnev", "family name", "last name", "surname"),
    ),
    Field(
        "given_name",
        _model_label(Contact, "given_name"),
        ("keresztnev", "utonev", "given name", "first name"),
    ),
    Field(
        "name",
        gettext_lazy("name (family name first)"),
        ("nev", "name", "teljes nev", "full name", "kapcsolattarto", "contact"),
    ),
    Field(
        "position",
        _model_label(Contact, "position"),
        ("beosztas", "pozicio", "munkakor", "position", "job title"),
    ),
    Field(
        "emails",
        _model_label(Contact, "emails"),
        ("e mail", "email", "e mail cim", "email cim", "e mails", "emails"),
    ),
    Field(
        "phones",
        _model_label(Contact, "phones"),
        ("telefon", "telefonszam", "tel", "mobil", "phone", "phone number"),
    ),
    Field("language", _model_label(Contact, "language"), ("nyelv", "language")),
    Field(
        "notes",
        _model_label(Contact, "notes"),
        ("megjegyzes", "megjegyzesek", "note", "notes", "comment"),
    ),
    Field("types", _model_label(Contact, "types"), ("tipus", "tipusok", "szerep", "types", "type")),
]

EXT_PREFIX = "ext:"
ATTR_PREFIX = "attr:"
PARTNER_EXT_PREFIX = "partner_ext:"


def known_systems() -> list[str]:
    """The systems external ids are kept for (a loose index scan: one probe per system)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE s(system) AS (
                (SELECT system FROM partners_externalid ORDER BY system LIMIT 1)
                UNION ALL
                SELECT (SELECT e.system FROM partners_externalid e WHERE e.system > s.system
                        ORDER BY e.system LIMIT 1)
                FROM s WHERE s.system IS NOT NULL
            )
            SELECT system FROM s WHERE system IS NOT NULL
            """
        )
        return [row[0] for row in cursor.fetchall()]


def _header_systems(headers) -> list[str]:
    """Systems named by headers like ``ext:erp`` (or ``partner_ext:erp``)."""
    found = []
    for header in headers:
        normalised = normalise_header(header).replace(" ", "")
        for prefix in (PARTNER_EXT_PREFIX, EXT_PREFIX):
            if normalised.startswith(prefix):
                system = normalised[len(prefix) :]
                if re.fullmatch(r"[a-z0-9_-]{1,40}", system):
                    found.append(system)
                break
    return found


def _systems(headers) -> list[str]:
    return sorted(set(known_systems()) | set(_header_systems(headers)))


def _ext_label(system: str):
    return _("%(system)s id") % {"system": system}


def field_choices(kind: str, headers=()) -> list[tuple[str, str]]:
    """(field, label) pairs a column can be mapped to; ``""`` skips the column."""
    choices = [("", _("(skip this column)"))]
    systems = _systems(headers)
    if kind == ImportKind.PARTNERS:
        choices += [(f.name, str(f.label)) for f in PARTNER_FIELDS]
        choices += [(EXT_PREFIX + s, _ext_label(s)) for s in systems]
        choices += _financial_choices(headers)
        target = AttributeTarget.PARTNER
    else:
        choices += [(f.name, str(f.label)) for f in CONTACT_FIELDS]
        choices += [
            (PARTNER_EXT_PREFIX + s, _("partner's %(system)s id") % {"system": s}) for s in systems
        ]
        target = AttributeTarget.CONTACT
    choices += [
        (ATTR_PREFIX + d.key, str(d.label)) for d in AttributeDefinition.objects.for_target(target)
    ]
    return choices


def _financial_choices(headers) -> list[tuple[str, str]]:
    """Balance-sheet figures of the years the headers name (``Árbevétel 2024``)."""
    return balance.column_choices(normalise_header(h) for h in headers)


def key_choices(kind: str, headers=()) -> list[tuple[str, str]]:
    """How existing records are found: partners by tax number or an external id; contacts of
    the row's partner by e-mail address or by name."""
    if kind == ImportKind.PARTNERS:
        return [("tax_number", str(_model_label(Partner, "tax_number")))] + [
            (EXT_PREFIX + s, _ext_label(s)) for s in _systems(headers)
        ]
    return [("email", _("e-mail address")), ("name", _("name"))]


def _synonyms(kind: str) -> dict[str, str]:
    table = {}
    fields = PARTNER_FIELDS if kind == ImportKind.PARTNERS else CONTACT_FIELDS
    for f in fields:
        names = [f.name.replace("_", " "), *f.synonyms]
        for language in ("hu", "en"):
            with translation.override(language):
                names.append(str(f.label))
        for name in names:
            table.setdefault(normalise_header(name), f.name)
    target = AttributeTarget.PARTNER if kind == ImportKind.PARTNERS else AttributeTarget.CONTACT
    for d in AttributeDefinition.objects.for_target(target):
        for name in (d.key, d.label_hu, d.label_en, ATTR_PREFIX + d.key):
            if name:
                table.setdefault(normalise_header(name), ATTR_PREFIX + d.key)
    return table


def _guess(kind: str, header: str, table: dict, systems: list[str]) -> str:
    normalised = normalise_header(header)
    if normalised in table:
        return table[normalised]
    if kind == ImportKind.PARTNERS and (figure := balance.column_field(normalised)):
        return figure
    compact = normalised.replace(" ", "")
    for system in systems:
        ext = (PARTNER_EXT_PREFIX if kind == ImportKind.CONTACTS else EXT_PREFIX) + system
        names = {
            f"{EXT_PREFIX}{system}",
            f"{PARTNER_EXT_PREFIX}{system}",
            f"{system}id",
            f"{system}azonosito",
            f"{system}kod",
            f"partner{system}id",
        }
        if compact in names:
            return ext
    return ""


def suggest_mapping(kind: str, headers: list[str], *, user) -> tuple[dict, str, bool]:
    """``(mapping, key, remembered)``: the user's last mapping of the same header row if there
    is one (fields that no longer exist dropped), else a guess from the column names."""
    valid = {value for value, _label in field_choices(kind, headers)}
    keys = {value for value, _label in key_choices(kind, headers)}
    remembered = ImportMapping.objects.filter(
        user=user, kind=kind, signature=header_signature(headers)
    ).first()
    if remembered is not None:
        mapping = {
            h: remembered.mapping.get(h, "") if remembered.mapping.get(h, "") in valid else ""
            for h in headers
        }
        key = remembered.key if remembered.key in keys else _default_key(kind, mapping)
        return mapping, key, True
    table = _synonyms(kind)
    systems = _systems(headers)
    mapping, used = {}, set()
    for header in headers:
        guess = _guess(kind, header, table, systems)
        if guess in used or guess not in valid:
            guess = ""
        if guess:
            used.add(guess)
        mapping[header] = guess
    if kind == ImportKind.CONTACTS and "name" in used and "family_name" in used:
        mapping = {h: ("" if f == "name" else f) for h, f in mapping.items()}
    return mapping, _default_key(kind, mapping), False


def _default_key(kind: str, mapping: dict) -> str:
    if kind == ImportKind.CONTACTS:
        return "email"
    fields = set(mapping.values())
    if "tax_number" in fields:
        return "tax_number"
    ext = sorted(f for f in fields if f.startswith(EXT_PREFIX))
    return ext[0] if ext else "tax_number"


def remember_mapping(*, user, kind: str, headers: list[str], mapping: dict, key: str) -> None:
    ImportMapping.objects.update_or_create(
        user=user,
        kind=kind,
        signature=header_signature(headers),
        defaults={"mapping": mapping, "key": key},
    )


def clean_mapping(kind: str, headers: list[str], mapping: dict, key: str) -> dict:
    """The mapping if it can be imported, else ValidationError with every problem."""
    labels = dict(field_choices(kind, headers))
    errors = []
    cleaned, seen = {}, {}
    for header in headers:
        value = mapping.get(header, "") or ""
        if value not in labels:
            errors.append(_("%(column)s: choose a field from the list.") % {"column": header})
            value = ""
        if value and value in seen:
            errors.append(
                _("%(field)s is chosen for two columns: %(a)s and %(b)s.")
                % {"field": labels[value], "a": seen[value], "b": header}
            )
        if value:
            seen[value] = header
        cleaned[header] = value
    if kind == ImportKind.PARTNERS:
        if key not in dict(key_choices(kind, headers)):
            errors.append(_("Choose how existing partners are found."))
        elif key not in seen:
            errors.append(
                _("Existing partners are found by %(key)s: map a column to it.")
                % {"key": labels.get(key, key)}
            )
    else:
        if key not in ("email", "name"):
            errors.append(_("Choose how existing contacts are found."))
        if "partner_tax_number" not in seen and not any(
            v.startswith(PARTNER_EXT_PREFIX) for v in seen
        ):
            errors.append(
                _(
                    "Map a column to the partner's tax number or external id: every contact"
                    " belongs to a partner."
                )
            )
        if "name" not in seen and "family_name" not in seen:
            errors.append(_("Map a column to the name or the family name."))
        if "name" in seen and ("family_name" in seen or "given_name" in seen):
            errors.append(_("Map either one name column or the family and given names, not both."))
        if key == "email" and "emails" not in seen:
            errors.append(_("Contacts are found by e-mail address: map a column to e-mails."))
    if errors:
        raise ValidationError(errors)
    return cleaned


# ----------------------------------------------------------------------------- formulas


# ``neutralise`` and ``looks_like_formula`` live in crm.spreadsheets (every export uses them).


# ----------------------------------------------------------------------------- rows


@dataclass
class ParsedRow:
    """One row after Python validation. ``values`` holds the given (non-empty) fields."""

    number: int
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Reasons that fail the row only if it creates a record (a new partner needs a name …).
    create_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    key: str = ""  # the value of the job's key: what the record is found by, in the report
    label: str = ""  # the name shown in the report
    skip_reason: str = ""
    partner_key: str = ""  # a contact's partner: its tax number or ``system:value``


@dataclass
class Outcome:
    number: int
    result: str  # created / updated / skipped / failed
    key: str
    label: str
    reasons: list[str]


RESULT_LABELS = {
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("updated"),
    "skipped": gettext_lazy("skipped"),
    "failed": gettext_lazy("failed"),
}


def _shown(value: str, limit: int = 60) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _message(exc: ValidationError) -> str:
    text = " ".join(exc.messages)
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _reason(label, raw: str, exc: ValidationError) -> str:
    return _("%(field)s %(value)s: %(message)s") % {
        "field": label,
        "value": _shown(raw),
        "message": _message(exc),
    }


def _safe(function, value):
    try:
        return function(value)
    except ValidationError:
        return None


def _split(raw: str, pattern=SEPARATORS) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in pattern.split(raw) if p.strip()))


class RowParser:
    """Validates rows of one job with the model fields' validators, ``crm.validators``,
    the forms' phone and e-mail rules and ``attributes.parse``. Everything it looks up
    (industries, users, tags, contact types, attributes) is loaded once, so it can run in a
    thread without the database."""

    def __init__(self, job: ImportJob, *, user):
        from .forms import normalise_phone

        self.kind = job.kind
        self.key = job.key
        self.normalise_phone = normalise_phone
        self.phone_shortcut = all(
            _safe(normalise_phone, sample) == sample for sample in CANONICAL_PHONE_SAMPLES
        )
        self.columns = [(i, f) for i, h in enumerate(job.headers) if (f := job.mapping.get(h))]
        self.fields = {f for _i, f in self.columns}
        self.model = Partner if self.kind == ImportKind.PARTNERS else Contact
        target = (
            AttributeTarget.PARTNER if self.kind == ImportKind.PARTNERS else AttributeTarget.CONTACT
        )
        self.definitions = {d.key: d for d in AttributeDefinition.objects.for_target(target)}
        self.labels = dict(field_choices(self.kind, job.headers))
        self.industries = dict(Industry.objects.values_list("code", "pk"))
        self.tags = {name.upper(): name for name in Tag.objects.values_list("name", flat=True)}
        self.may_add_tags = user.has_perm("partners.add_tag")
        self.owners = _company_users(job.company_id)
        self.counties = _county_lookup()
        self.contact_types = _contact_type_lookup()
        self._checks: dict = {}
        self.seen: dict = {}  # key → first row number (duplicates inside the file)
        self.seen_other: dict = {}  # (system, value) / tax number → row, for non-key ids
        self.nav = (  # NAV's verdicts on the file's tax numbers (_nav_check)
            taxcheck.ImportChecks()
            if self.kind == ImportKind.PARTNERS
            and "tax_number" in self.fields
            and taxcheck.nav.configured()
            else None
        )

    # -- helpers

    def _label(self, name: str):
        return self.labels.get(name, name)

    def _char(self, name: str, raw: str) -> str:
        """``raw`` if the model field's validators accept it. A field whose validators are
        only its maximum length and no NUL characters is checked by those rules directly
        first (the same rules, without the validator machinery: a million rows notice it)."""
        check = self._checks.get(name)
        if check is None:
            model_field = self.model._meta.get_field(name)
            validators = model_field.validators
            simple = all(isinstance(v, SIMPLE_VALIDATORS) for v in validators)
            limits = [v.limit_value for v in validators if isinstance(v, MaxLengthValidator)]
            limit = (min(limits) if limits else None) if simple else -1
            check = self._checks[name] = (model_field, limit)
        model_field, limit = check
        if (limit is None or 0 <= len(raw) <= limit) and "\x00" not in raw:
            return raw
        model_field.run_validators(raw)
        return raw

    # -- rows

    def parse(self, number: int, cells: list[str]) -> ParsedRow:
        row = ParsedRow(number=number)
        values = row.values
        handle = self._partner_value if self.kind == ImportKind.PARTNERS else self._contact_value
        for index, name in self.columns:
            raw = cells[index]
            if not raw:
                continue
            try:
                handle(name, raw, values)
            except ValidationError as exc:
                row.errors.append(_reason(self._label(name), raw, exc))
        if self.kind == ImportKind.PARTNERS:
            self._partner_rules(row)
        else:
            self._contact_rules(row)
        return row

    # -- partners

    def _partner_value(self, name: str, raw: str, values: dict) -> None:
        if name in ("name", "short_name", "postcode", "city", "street", "notes"):
            values[name] = self._char(name, raw)
        elif name == "tax_number":
            values[name] = normalise_tax_number(raw)
        elif name == "registration_number":
            values[name] = normalise_registration_number(raw)
        elif name == "eu_vat_number":
            values[name] = self._char(name, raw.replace(" ", "").upper())
        elif name == "county":
            values[name] = self._county(raw)
        elif name in ("phones", "emails"):
            values[name] = self._list(name, raw)
        elif name == "website":
            url = raw if "://" in raw else "https://" + raw
            values[name] = self._char(name, url)
        elif name == "industry":
            values["industry_id"] = self._industry(raw)
        elif name == "headcount":
            values[name] = self._count(raw)
        elif name == "tags":
            values[name] = self._tags(raw)
        elif name == "owner":
            values["owner_id"] = self._owner(raw)
        elif name.startswith(EXT_PREFIX):
            ExternalId._meta.get_field("value").run_validators(raw)
            values.setdefault("ext", {})[name[len(EXT_PREFIX) :]] = raw
        elif name.startswith(ATTR_PREFIX):
            self._attribute(name, raw, values)
        elif name.startswith(balance.FIN_PREFIX):
            balance.parse_cell(name, raw, values)

    def _partner_rules(self, row: ParsedRow) -> None:
        values = row.values
        # The model's own rules (Partner.clean): Budapest postcodes are in Budapest; a
        # Hungarian EU VAT number repeats the tax number.
        postcode = values.get("postcode", "")
        if postcode.startswith("1") and not values.get("county"):
            values["county"] = County.BUDAPEST
        if values.get("eu_vat_number") and values.get("tax_number"):
            probe = Partner(tax_number=values["tax_number"], eu_vat_number=values["eu_vat_number"])
            try:
                probe.clean()
            except ValidationError as exc:
                row.errors.append(
                    _reason(self._label("eu_vat_number"), values["eu_vat_number"], exc)
                )
        row.label = values.get("name", "")
        if self.key == "tax_number":
            row.key = values.get("tax_number", "")
        else:
            row.key = values.get("ext", {}).get(self.key[len(EXT_PREFIX) :], "")
        if "name" not in values:
            row.create_errors.append(_("a new partner needs a name"))
        self._required_attributes(row)
        if not row.key:
            if not row.errors:
                row.errors.append(
                    _("the unique key (%(key)s) is empty") % {"key": self._label(self.key)}
                )
            return
        if row.errors:
            return
        self._duplicates(row)

    def _duplicates(self, row: ParsedRow) -> None:
        """A key (or another unique id) seen in an earlier row: this row is skipped."""
        key = _compact_key(self.key, row.key)
        first = self.seen.get(key)
        if first is not None:
            row.skip_reason = _("the same %(key)s as row %(row)s; only the first is imported") % {
                "key": self._label(self.key),
                "row": first,
            }
            return
        others = []
        if self.kind == ImportKind.PARTNERS:
            if self.key != "tax_number" and row.values.get("tax_number"):
                others.append(("tax_number", _compact_key("tax_number", row.values["tax_number"])))
            for system, value in row.values.get("ext", {}).items():
                if EXT_PREFIX + system != self.key:
                    others.append((EXT_PREFIX + system, (system, value)))
        for name, other in others:
            first = self.seen_other.get(other)
            if first is not None:
                row.errors.append(
                    _("the same %(field)s as row %(row)s")
                    % {"field": self._label(name), "row": first}
                )
                return
        self.seen[key] = row.number
        for _name, other in others:
            self.seen_other[other] = row.number

    def _county(self, raw: str) -> str:
        code = self.counties.get(normalise_header(raw))
        if code is None:
            raise ValidationError(_("not a Hungarian county (name or code, like PE)."))
        return code

    def _list(self, name: str, raw: str) -> list[str]:
        base = self.model._meta.get_field(name).base_field
        items = []
        for part in _split(raw):
            if name == "emails":
                part = part.lower()
            elif not (self.phone_shortcut and CANONICAL_PHONE.match(part)):
                part = self.normalise_phone(part)
            base.run_validators(part)
            items.append(part)
        return list(dict.fromkeys(items))

    def _industry(self, raw: str) -> int:
        code = raw.split()[0].replace(".", "")
        if code.isdigit() and len(code) < 4:
            code = code.zfill(4)
        industry = self.industries.get(code)
        if industry is None:
            raise ValidationError(_("no such TEÁOR code."))
        return industry

    def _count(self, raw: str) -> int:
        text = raw.replace(" ", "").replace("\u00a0", "")
        if not re.fullmatch(r"\d+", text):
            raise ValidationError(_("not a whole number."))
        value = int(text)
        Partner._meta.get_field("headcount").run_validators(value)
        return value

    def _tags(self, raw: str) -> list[str]:
        names = []
        max_length = Tag._meta.get_field("name").max_length
        for name in _split(raw, TAG_SEPARATORS):
            if len(name) > max_length:
                raise ValidationError(
                    _("a tag name is at most %(limit)s characters.") % {"limit": max_length}
                )
            existing = self.tags.get(name.upper())
            if existing is None and not self.may_add_tags:
                raise ValidationError(
                    _("there is no tag %(name)s, and you may not create tags.") % {"name": name}
                )
            names.append(existing or name)
        return names

    def _owner(self, raw: str) -> int:
        user_id = self.owners.get(raw.lower())
        if user_id is None:
            raise ValidationError(_("no active user of this company has this user name or e-mail."))
        if user_id == -1:
            raise ValidationError(_("several users have this e-mail address; give the user name."))
        return user_id

    def _attribute(self, name: str, raw: str, values: dict) -> None:
        definition = self.definitions.get(name[len(ATTR_PREFIX) :])
        if definition is None:
            return
        value = attributes.parse(definition, raw)
        if value is not None:
            values.setdefault("attributes", {})[definition.key] = value

    def _required_attributes(self, row: ParsedRow) -> None:
        given = row.values.get("attributes", {})
        for definition in self.definitions.values():
            if definition.required and definition.key not in given:
                row.create_errors.append(_("%(label)s is required.") % {"label": definition.label})

    # -- contacts

    def _contact_value(self, name: str, raw: str, values: dict) -> None:
        if name in ("title", "family_name", "given_name", "position", "notes"):
            values[name] = self._char(name, raw)
        elif name == "name":
            title, family, given = split_name(raw)
            for part, value in (("title", title), ("family_name", family), ("given_name", given)):
                if value:
                    values[part] = self._char(part, value)
        elif name == "partner_tax_number":
            values["partner_tax_number"] = normalise_tax_number(raw)
        elif name.startswith(PARTNER_EXT_PREFIX):
            values["partner_ext"] = (name[len(PARTNER_EXT_PREFIX) :], raw)
        elif name in ("phones", "emails"):
            values[name] = self._list(name, raw)
        elif name == "language":
            values[name] = self._language(raw)
        elif name == "types":
            values[name] = self._types(raw)
        elif name.startswith(ATTR_PREFIX):
            self._attribute(name, raw, values)

    def _language(self, raw: str) -> str:
        language = LANGUAGES.get(normalise_header(raw))
        if language is None:
            raise ValidationError(_("not a language we write in (magyar, English, Deutsch)."))
        return language

    def _types(self, raw: str) -> list[int]:
        found = []
        for name in _split(raw, TAG_SEPARATORS):
            contact_type = self.contact_types.get(normalise_header(name))
            if contact_type is None:
                raise ValidationError(_("there is no contact type %(name)s.") % {"name": name})
            found.append(contact_type)
        return list(dict.fromkeys(found))

    def _contact_rules(self, row: ParsedRow) -> None:
        values = row.values
        if "partner_tax_number" in values:
            row.partner_key = values["partner_tax_number"]
        elif "partner_ext" in values:
            row.partner_key = "{}:{}".format(*values["partner_ext"])
        row.label = " ".join(
            values.get(p, "") for p in ("title", "family_name", "given_name") if values.get(p)
        )
        if self.key == "email":
            row.key = values["emails"][0] if values.get("emails") else ""
        else:
            row.key = " ".join(
                values.get(p, "") for p in ("family_name", "given_name") if values.get(p)
            )
        if not row.partner_key and not row.errors:
            row.errors.append(_("the partner's tax number or external id is empty"))
        if not values.get("family_name") and not row.errors:
            row.errors.append(_("the family name is empty"))
        self._required_attributes(row)
        if row.errors:
            return
        if self.key == "email":
            if not values.get("emails"):
                return
            identity = (row.partner_key, values["emails"][0])
        else:
            identity = (
                row.partner_key,
                values.get("family_name", "").lower(),
                values.get("given_name", "").lower(),
            )
        first = self.seen.get(identity)
        if first is not None:
            row.skip_reason = _("the same contact as row %(row)s; only the first is imported") % {
                "row": first
            }
            return
        self.seen[identity] = row.number


LANGUAGES = {
    "hu": Language.HU,
    "magyar": Language.HU,
    "hungarian": Language.HU,
    "en": Language.EN,
    "english": Language.EN,
    "angol": Language.EN,
    "de": Language.DE,
    "deutsch": Language.DE,
    "german": Language.DE,
    "nemet": Language.DE,
}

TITLES = {"dr.", "dr", "ifj.", "id.", "özv.", "prof.", "ing.", "mr.", "mrs.", "ms."}


def split_name(raw: str) -> tuple[str, str, str]:
    """``dr. Kovács János Péter`` → (``dr.``, ``Kovács``, ``János Péter``): Hungarian order,
    family name first."""
    parts = raw.split()
    title = []
    while parts and parts[0].lower() in TITLES and len(parts) > 1:
        title.append(parts.pop(0))
    family = parts[0] if parts else ""
    return " ".join(title), family, " ".join(parts[1:])


def _compact_key(key: str, value: str):
    """A key as little memory as it can take (a million of them are kept)."""
    if key in ("tax_number", "partner_tax_number"):
        digits = value.replace("-", "")
        if digits.isdigit():
            return int(digits)
    return value


def _company_users(company_id: int) -> dict[str, int]:
    from crm.models import Membership

    found: dict[str, int] = {}
    members = Membership.objects.filter(company_id=company_id, user__is_active=True).values_list(
        "user_id", "user__username", "user__email"
    )
    for user_id, username, _email in members:
        found[username.lower()] = user_id
    for user_id, username, email in members:
        if email and email.lower() not in found:
            found[email.lower()] = user_id
        elif email and found[email.lower()] != user_id and email.lower() != username.lower():
            found[email.lower()] = -1  # the same address for two users
    return found


def _county_lookup() -> dict[str, str]:
    lookup = {}
    for code, name in County.choices:
        lookup[normalise_header(code)] = code
        base = normalise_header(name)
        for variant in (base, base + " megye", base + " varmegye", base + " county"):
            lookup[variant] = code
    return lookup


def _contact_type_lookup() -> dict[str, ContactType]:
    lookup = {}
    for contact_type in ContactType.objects.all():
        for name in (contact_type.name_hu, contact_type.name_en):
            if name:
                lookup.setdefault(normalise_header(name), contact_type)
    return lookup


# ----------------------------------------------------------------------------- preview


@dataclass
class Preview:
    headers: list[str]
    columns: list[tuple[str, str, str]]  # header, field, field label ("" = skipped)
    rows: list[tuple[int, list[str], list[str]]]  # number, cells, reasons
    errors: list[tuple[int, str]]
    error_count: int  # the errors (a row may have several)
    warnings: list[tuple[int, str]]
    skipped: list[tuple[int, str]]
    checked_rows: int
    total_rows: int
    complete: bool  # every row was checked
    will_create: int = 0
    will_update: int = 0
    error_rows: int = 0  # the rows that will not be imported for an error
    nav: taxcheck.ImportChecks | None = None  # whether NAV answered, for the page's note
    # The shown rows that match a record already there: the import updates it.
    updates: set[int] = field(default_factory=set)


def preview(job: ImportJob, *, user) -> Preview:
    """The first rows and every row error of the first ``PREVIEW_CHECK_ROWS`` rows: the
    Python validation and (read-only) the database checks (a key of a partner that is not
    the user's, a contact's partner that does not exist, a second contact of a single-only
    type at a partner)."""
    user = _as_job_user(user, job)
    parser = RowParser(job, user=user)
    labels = dict(field_choices(job.kind, job.headers))
    columns = [
        (
            h,
            job.mapping.get(h, ""),
            labels.get(job.mapping.get(h, ""), "") if job.mapping.get(h) else "",
        )
        for h in job.headers
    ]
    result = Preview(
        headers=job.headers,
        columns=columns,
        rows=[],
        errors=[],
        error_count=0,
        warnings=[],
        skipped=[],
        checked_rows=0,
        total_rows=0,
        complete=True,
    )
    batch: list[ParsedRow] = []
    shown: dict[int, list[str]] = {}
    contacts = (
        _ContactPreview(key=job.key, may_add=user.has_perm("partners.add_contact"))
        if job.kind == ImportKind.CONTACTS
        else None
    )
    with open_job_table(job) as table:
        rows = table.rows()
        for number, cells in rows:
            result.checked_rows += 1
            row = parser.parse(number, cells)
            if len(result.rows) < PREVIEW_ROWS:
                result.rows.append((number, cells, []))
                shown[number] = result.rows[-1][2]
            for index, name in parser.columns:
                if len(result.warnings) >= PREVIEW_ERROR_CAP:
                    break
                if cells[index] and looks_like_formula(cells[index]):
                    result.warnings.append(
                        (
                            number,
                            _(
                                "%(field)s starts with %(char)s: it is stored as typed; the"
                                " report shows it as text."
                            )
                            % {"field": parser._label(name), "char": cells[index][0]},
                        )
                    )
            batch.append(row)
            if len(batch) >= CHUNK_ROWS:
                _preview_batch(job, user, parser, batch, result, shown, contacts)
                batch = []
            if result.checked_rows >= PREVIEW_CHECK_ROWS:
                result.complete = False
                break
        _preview_batch(job, user, parser, batch, result, shown, contacts)
        if result.complete:
            result.total_rows = result.checked_rows
        elif isinstance(table, CsvTable):
            result.total_rows = result.checked_rows + sum(1 for _row in rows)
        else:
            result.total_rows = max(table.total_hint or 0, result.checked_rows)
    result.warnings = result.warnings[:PREVIEW_ERROR_CAP]
    result.skipped = result.skipped[:PREVIEW_ERROR_CAP]
    result.nav = parser.nav
    return result


def _preview_batch(job, user, parser, batch, result: Preview, shown, contacts) -> None:
    if not batch:
        return
    if job.kind == ImportKind.PARTNERS:
        _nav_check(parser, batch)
        db_errors, matched = _partner_checks_readonly(job, user, parser, batch)
    else:
        db_errors, matched = _contact_checks_readonly(user, batch, contacts)
    for row in batch:
        reasons = list(row.errors)
        if not reasons:
            reasons += db_errors.get(row.number, [])
        if not reasons and row.skip_reason:
            result.skipped.append((row.number, row.skip_reason))
            continue
        if not reasons:
            if row.number in matched:
                result.will_update += 1
                if row.number in shown:
                    result.updates.add(row.number)
            else:
                reasons += row.create_errors
                if not reasons:
                    result.will_create += 1
        if reasons:
            result.error_rows += 1
        for reason in reasons:
            result.error_count += 1
            if len(result.errors) < PREVIEW_ERROR_CAP:
                result.errors.append((row.number, reason))
            if row.number in shown:
                shown[row.number].append(reason)


def _nav_check(parser: RowParser, rows: list[ParsedRow]) -> None:
    """A tax number the tax authority (NAV) calls invalid fails its row. A batch's numbers are
    asked about together and each distinct number once an import (``partners.taxcheck``: a
    few at a time, capped, verdicts cached, so the run finds the preview's); never row by
    row in the writer. Without NAV, or when it does not answer, the checksum alone decides."""
    if parser.nav is None:
        return
    rows = [r for r in rows if not r.errors and r.values.get("tax_number")]
    invalid = parser.nav.invalid_numbers([r.values["tax_number"] for r in rows])
    for row in rows:
        if row.values["tax_number"] in invalid:
            row.errors.append(
                _reason(
                    parser._label("tax_number"),
                    row.values["tax_number"],
                    ValidationError(taxcheck.INVALID_MESSAGE),
                )
            )


def _any(values, sql_type: str) -> RawSQL:
    """``IN`` a list given as one array parameter (not thousands of placeholders)."""
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (list(values),))  # noqa: S611


def _match_partners(key: str, values: list[str]) -> dict[str, int]:
    """Key value → partner id, for the partners that exist (unscoped: only ids come back)."""
    if not values:
        return {}
    if key == "tax_number":
        found = Partner.objects.filter(tax_number__in=_any(values, "text"))
        return dict(found.values_list("tax_number", "pk"))
    found = ExternalId.objects.filter(system=key[len(EXT_PREFIX) :], value__in=_any(values, "text"))
    return dict(found.values_list("value", "partner_id"))


def _editable(user, ids) -> set[int]:
    """Which of these partners ``user`` may change (``editable_by``, the one mechanism)."""
    if not ids:
        return set()
    editable = Partner.objects.editable_by(user).filter(pk__in=_any(ids, "bigint"))
    return set(editable.values_list("pk", flat=True))


def _not_yours(label, value) -> str:
    return _(
        "%(key)s %(value)s: the partner exists but is not yours; ask its owner or your manager."
    ) % {"key": label, "value": value}


def _partner_checks_readonly(job, user, parser, batch):
    rows = [r for r in batch if not r.errors and not r.skip_reason]
    matches = _match_partners(job.key, [r.key for r in rows])
    editable = _editable(user, set(matches.values()))
    errors: dict[int, list[str]] = {}
    matched = set()
    may_add = user.has_perm("partners.add_partner")
    for row in rows:
        partner_id = matches.get(row.key)
        if partner_id is None:
            if not may_add:
                errors.setdefault(row.number, []).append(_("you may not add partners"))
            continue
        matched.add(row.number)
        if partner_id not in editable:
            errors.setdefault(row.number, []).append(_not_yours(parser._label(job.key), row.key))
    return errors, matched


@dataclass(frozen=True)
class _Planned:
    """A contact that an earlier row of the file would create (the preview writes nothing)."""

    pk: str


@dataclass
class _ContactPreview:
    """What the preview of a contact file carries from one batch to the next: the partners'
    contacts and single-only types, and those the rows before would add, as the run adds
    them."""

    key: str
    may_add: bool
    existing: dict = field(default_factory=dict)
    loaded: set = field(default_factory=set)
    singles: _SingleTypes = field(default_factory=lambda: _SingleTypes())


def _contact_checks_readonly(user, batch, state: _ContactPreview):
    """The run's checks of contact rows, in its order, without writing: the partner (exists,
    is the user's), adding a contact (allowed), a single-only type (not held by another
    contact of the partner, in the database or in a row before)."""
    rows = [r for r in batch if not r.errors and not r.skip_reason]
    partners = _contact_partners(rows)
    editable = _editable(user, set(partners.values()))
    if new := editable - state.loaded:
        _existing_contacts(new, state.existing)
        state.singles.load(new)
        state.loaded |= new
    errors: dict[int, list[str]] = {}
    matched: set[int] = set()
    for row in rows:
        partner_id = partners.get(row.partner_key)
        if partner_id is None:
            errors.setdefault(row.number, []).append(_no_partner(row.partner_key))
            continue
        if partner_id not in editable:
            errors.setdefault(row.number, []).append(_not_yours(_("partner"), row.partner_key))
            continue
        values = row.values
        contact = _find_contact(state.key, values, partner_id, state.existing)
        if contact is None:
            if not state.may_add:
                errors.setdefault(row.number, []).append(_("you may not add contacts"))
                continue
            if row.create_errors:
                continue  # listed by the caller, as for partners
        else:
            matched.add(row.number)
        who = contact.pk if contact is not None else f"row {row.number}"
        types = values.get("types", [])
        taken = state.singles.taken(partner_id, who, types)
        if taken:
            errors.setdefault(row.number, []).append(taken)
            continue
        state.singles.hold(partner_id, who, row.label, types)
        if contact is None:
            planned = _Planned(who)
            keys = _contact_keys(
                partner_id,
                values.get("emails", []),
                values.get("family_name", ""),
                values.get("given_name", ""),
            )
            for key in keys:
                state.existing.setdefault(key, planned)
    return errors, matched


def _contact_keys(partner_id: int, emails, family_name: str, given_name: str):
    """The keys a contact is found by at its partner: each e-mail address, and the name."""
    for email in emails:
        yield (partner_id, email.lower())
    yield (partner_id, family_name.lower(), given_name.lower())


def _existing_contacts(partner_ids, found: dict | None = None) -> dict:
    """The contacts of these partners by ``_contact_keys`` (the oldest first)."""
    found = {} if found is None else found
    contacts = Contact.objects.filter(partner_id__in=partner_ids, erased_at__isnull=True)
    for contact in contacts.order_by("pk"):
        for key in _contact_keys(
            contact.partner_id, contact.emails, contact.family_name, contact.given_name
        ):
            found.setdefault(key, contact)
    return found


def _find_contact(key: str, values: dict, partner_id: int, existing: dict):
    """The partner's contact a row updates (by the job's key), or None."""
    if key == "email":
        for email in values.get("emails", []):
            contact = existing.get((partner_id, email))
            if contact is not None:
                return contact
        return None
    return existing.get(
        (
            partner_id,
            values.get("family_name", "").lower(),
            values.get("given_name", "").lower(),
        )
    )


class _SingleTypes:
    """Who holds each single-only contact type at each partner (a partner may have one
    contact of such a type): read from the database, then added to as rows would add them.
    Tells a row that would give a partner a second one, in the contact services' words."""

    def __init__(self):
        self.holders: dict[tuple[int, int], tuple[object, str]] = {}  # → (contact, name)
        self.partners: dict[int, str] = {}  # partner id → name

    def load(self, partner_ids) -> None:
        self.partners.update(
            Partner.objects.filter(pk__in=_any(partner_ids, "bigint")).values_list("pk", "name")
        )
        roles = ContactRole.objects.filter(
            partner_id__in=_any(partner_ids, "bigint"), type__single=True
        ).select_related("contact")
        for role in roles.order_by("pk"):
            self.holders.setdefault(
                (role.partner_id, role.type_id), (role.contact_id, str(role.contact))
            )

    def taken(self, partner_id: int, who, types) -> str:
        """The reason ``who`` (a contact's id) may not have these types, or ``""``."""
        for contact_type in types:
            if not contact_type.single:
                continue
            holder = self.holders.get((partner_id, contact_type.pk))
            if holder is not None and holder[0] != who:
                return _single_taken(self.partners.get(partner_id, ""), contact_type, holder[1])
        return ""

    def hold(self, partner_id: int, who, name: str, types) -> None:
        for contact_type in types:
            if contact_type.single:
                self.holders.setdefault((partner_id, contact_type.pk), (who, name))


def _single_taken(partner: str, contact_type, holder: str) -> str:
    """The message of ``partners.services._check_single_types``, word for word (the run
    fails such a row with it)."""
    return _(
        "%(partner)s already has a %(type)s contact: %(holder)s. A partner may have only one."
    ) % {"partner": partner, "type": contact_type, "holder": holder}


def _no_partner(key: str) -> str:
    return _("there is no partner %(key)s") % {"key": key}


def _contact_partners(rows: list[ParsedRow]) -> dict[str, int]:
    """Partner key of a contact row (tax number or ``system:value``) → partner id."""
    taxes = [r.values["partner_tax_number"] for r in rows if "partner_tax_number" in r.values]
    found = dict(Partner.objects.filter(tax_number__in=taxes).values_list("tax_number", "pk"))
    by_system: dict[str, list[str]] = {}
    for r in rows:
        if "partner_tax_number" not in r.values and "partner_ext" in r.values:
            system, value = r.values["partner_ext"]
            by_system.setdefault(system, []).append(value)
    for system, values in by_system.items():
        for value, partner_id in ExternalId.objects.filter(
            system=system, value__in=values
        ).values_list("value", "partner_id"):
            found[f"{system}:{value}"] = partner_id
    return found


def _as_job_user(user, job: ImportJob):
    """The user acting in the job's company (scoping reads the current company): a copy, so
    the request's user keeps the company chosen in the top bar."""
    from crm.scoping import company_ids

    if user.current_company_id == job.company_id or job.company_id not in company_ids(user):
        return user
    acting = copy.copy(user)
    acting.current_company_id = job.company_id
    return acting


# ----------------------------------------------------------------------------- running


class Report:
    """The report CSV, written row by row to a temporary file while the import runs."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed by close()
        self.file.write(codecs.BOM_UTF8)  # for Excel; then plain UTF-8
        self.text = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text, delimiter=";")
        self.writer.writerow([_("Row"), _("Result"), _("Key"), _("Name"), _("Reasons")])

    def write(self, outcomes: list[Outcome]) -> None:
        labels = {k: str(v) for k, v in RESULT_LABELS.items()}
        for o in sorted(outcomes, key=lambda o: o.number):
            self.writer.writerow(
                [
                    o.number,
                    labels[o.result],
                    neutralise(o.key),
                    neutralise(o.label[:REPORT_NAME_LIMIT]),
                    neutralise("; ".join(o.reasons)),
                ]
            )

    def save(self, job: ImportJob) -> None:
        self.text.flush()
        self.file.seek(0)
        job.report.save(f"import-{job.pk}-report.csv", File(self.file), save=False)
        ImportJob.objects.filter(pk=job.pk).update(report=job.report.name)

    def close(self) -> None:
        self.text.close()


class _Counts:
    """What became of the rows so far (shared by the writers: added under a lock)."""

    def __init__(self):
        self.processed = self.created = self.updated = self.skipped = self.failed = 0
        self.lock = threading.Lock()

    def add(self, outcomes: list[Outcome]) -> None:
        with self.lock:
            for o in outcomes:
                self.processed += 1
                setattr(self, o.result, getattr(self, o.result) + 1)

    def fields(self) -> dict:
        return {
            "processed_rows": self.processed,
            "created_count": self.created,
            "updated_count": self.updated,
            "skipped_count": self.skipped,
            "failed_count": self.failed,
        }


def _increments(outcomes: list[Outcome]) -> dict:
    """The job's counters raised by one chunk's outcomes (F() increments: writers in parallel
    never overwrite each other's progress)."""
    from django.db.models import F

    by_result = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    for o in outcomes:
        by_result[o.result] += 1
    from django.db.models.functions import Now

    fields = {"processed_rows": F("processed_rows") + len(outcomes), "progress_at": Now()}
    for result, n in by_result.items():
        if n:
            fields[f"{result}_count"] = F(f"{result}_count") + n
    return fields


def import_file(job: ImportJob, path: Path | str | None = None, *, language=None) -> None:
    """Runs a claimed job (state ``running``) to ``done`` or ``failed``, writing its report.
    ``path`` reads another file than the job's (the benchmark)."""
    from django.contrib.auth import get_user_model

    user = _as_job_user(get_user_model().objects.get(pk=job.created_by_id), job)
    report = Report()
    counts = _Counts()
    state, error = ImportState.DONE, ""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        try:
            if not user.is_active or not user.has_perm("partners.import_partner"):
                raise ValidationError(_("The user who started the import may no longer import."))
            with pghistory.context(user=user.pk, import_job=job.pk):
                if job.kind == ImportKind.PARTNERS:
                    PartnerImport(job, user, report, counts).run(path)
                else:
                    ContactImport(job, user, report, counts).run(path)
        except ValidationError as exc:
            state, error = ImportState.FAILED, " ".join(exc.messages)
        except Exception as exc:
            logger.exception("import %s failed", job.pk)
            state = ImportState.FAILED
            error = _("The import stopped at an unexpected error (%(error)s).") % {
                "error": type(exc).__name__
            }
        try:
            report.save(job)
        finally:
            report.close()
        ImportJob.objects.filter(pk=job.pk).update(
            state=state, error=error, finished_at=timezone.now(), **counts.fields()
        )
    job.refresh_from_db()


_DONE = object()


def _read_in_thread(job, parser: RowParser, path, size: int, language: str):
    """Reads and validates the rows in a thread, handing over lists of ``size`` parsed rows
    through a small queue (so memory stays flat whatever the file size). The parser has
    loaded its lookups already: the thread never touches the database."""
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            with translation.override(language), open_job_table(job, path) as table:
                chunk = []
                for number, cells in table.rows():
                    chunk.append(parser.parse(number, cells))
                    if len(chunk) >= size:
                        _nav_check(parser, chunk)
                        if not put(chunk):
                            return
                        chunk = []
                if chunk:
                    _nav_check(parser, chunk)
                    put(chunk)
            put(_DONE)
        except BaseException as exc:  # handed to the writing thread
            put(exc)

    thread = threading.Thread(target=work, name=f"import-{job.pk}", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


class _ImportBase:
    def __init__(self, job, user, report: Report, counts: _Counts):
        self.job = job
        self.user = user
        self.report = report
        self.counts = counts

    def _progress(self, outcomes: list[Outcome]) -> None:
        """The job's counters, in the chunk's transaction (so they move with its rows)."""
        ImportJob.objects.filter(pk=self.job.pk).update(**_increments(outcomes))

    def _done(self, outcomes: list[Outcome]) -> None:
        """After the chunk's commit: the counts and the report lines."""
        self.counts.add(outcomes)
        self.report.write(outcomes)

    @staticmethod
    def _quiet_trigger_guards() -> None:
        """pgtrigger's and pghistory's row triggers each read a setting inside a PL/pgSQL
        EXCEPTION block; when the setting is undefined the block aborts a subtransaction per
        row, and each abort scans the transaction's whole queue of deferred foreign-key
        checks: quadratic in the rows of the transaction. Defining ``pgtrigger.ignore`` (to
        nothing ignored) avoids it; ``pghistory.context`` defines pghistory's."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")


class _Statistics:
    """Keeps the planner's statistics of the tables an import grows up to date, as autovacuum
    would, but at once: ``ANALYZE`` whenever the rows the import created since the last one
    reach the table's size then (at 5k, 10k, 20k, … rows into an empty table; a handful of
    times in a million), and at the end after a tenth.

    Without it the plans go wrong while the import runs: the owner rows' statement triggers
    (visibility index, search index) join the chunk's rows to ``partners_partner`` by id, and
    with the table's size taken from statistics of when it was nearly empty the planner
    hashes the whole table instead of looking up 5,000 ids, at every chunk; PL/pgSQL keeps
    that plan for the whole session besides. Over a 1M-row import into an empty table
    (autovacuum off, as on the benchmark machine) the owner insert grew from 250 to 900 ms a
    chunk, the two triggers taking 440 of its 520 ms on average; kept up to date, 180-270 ms.
    ``ANALYZE`` also invalidates the cached plans. The next import (or a page) then plans
    with real sizes too."""

    TABLES = "partners_partner, partners_partnerowner, crm_visibility"
    MIN_ROWS = 5000

    def __init__(self):
        self.lock = threading.Lock()
        self.running = False
        self.size = self._planner_rows()
        self.since = 0  # rows created since the last ANALYZE

    def created(self, rows: int, *, final: bool = False) -> None:
        """After a chunk's commit (never inside its transaction: ANALYZE's lock would make
        the other writers wait): ``rows`` more rows."""
        with self.lock:
            self.since += rows
            due = self.since >= max(self.MIN_ROWS, self.size // 10 if final else self.size)
            if not due or self.running:
                return
            self.running, since = True, self.since
        size = None
        try:
            size = self._analyze()
        except Exception:  # only an aid to the planner: the import goes on without it
            logger.exception("ANALYZE during an import failed")
        finally:
            with self.lock:
                self.running = False
                if size is not None:
                    self.size, self.since = size, self.since - since

    def _analyze(self) -> int:
        """ANALYZE of the tables; the partner table's size as the planner now sees it."""
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {self.TABLES}")  # noqa: S608 - constant names
        return self._planner_rows()

    @staticmethod
    def _planner_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
                ["partners_partner"],
            )
            return int(cursor.fetchone()[0])


def _failed(row: ParsedRow, reasons: list[str]) -> Outcome:
    return Outcome(row.number, "failed", row.key, row.label, reasons)


# ----------------------------------------------------------------------------- partners


# Staging columns: (name, SQL type, default for a new partner).
_STAGE_COLUMNS = [
    ("name", "text", None),
    ("short_name", "text", "''"),
    ("tax_number", "text", "NULL"),
    ("eu_vat_number", "text", "''"),
    ("registration_number", "text", "''"),
    ("postcode", "text", "''"),
    ("city", "text", "''"),
    ("street", "text", "''"),
    ("county", "text", "''"),
    ("phones", "varchar[]", "'{}'"),
    ("emails", "varchar[]", "'{}'"),
    ("website", "text", "''"),
    ("industry_id", "bigint", "NULL"),
    ("headcount", "integer", "NULL"),
    ("notes", "text", "''"),
    ("attributes", "jsonb", "'{}'::jsonb"),
]
_STAGE_NAMES = [name for name, _type, _default in _STAGE_COLUMNS]


def _array_literal(items) -> str:
    """A PostgreSQL array literal of strings (``{"a","b \\"c\\""}``): cheaper than the
    driver's generic list adapter, which a million rows notice."""
    return (
        "{"
        + ",".join('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
        + "}"
    )


class PartnerImport(_ImportBase):
    """The set-based partner import (see the module docstring)."""

    def run(self, path) -> None:
        self.may_add = self.user.has_perm("partners.add_partner")
        self.may_assign = self.user.has_perm("partners.assign_partner")
        self.may_add_tags = self.user.has_perm("partners.add_tag")
        self.key_label = dict(field_choices(self.job.kind, self.job.headers)).get(
            self.job.key, self.job.key
        )
        self.mapped = mapped = set(self.job.mapping.values())
        # Columns an update writes: the mapped ones (an unmapped field is never touched).
        self.update_columns = [
            n
            for n in _STAGE_NAMES
            if n in mapped
            or (n == "industry_id" and "industry" in mapped)
            or (n == "attributes" and any(m.startswith(ATTR_PREFIX) for m in mapped))
            or (n == "county" and "postcode" in mapped)
        ]
        self.has_ext = any(m.startswith(EXT_PREFIX) for m in mapped)
        self.has_financials = any(m.startswith(balance.FIN_PREFIX) for m in mapped)
        self.reason = (_("import of %(file)s") % {"file": self.job.original_name})[:200]
        parser = RowParser(self.job, user=self.user)
        language = translation.get_language()
        chunks = _read_in_thread(self.job, parser, path, CHUNK_ROWS, language)
        writers = max(1, settings.PARTNERS_IMPORT_WRITERS)
        self.statistics = _Statistics()
        if writers == 1:
            for chunk in chunks:
                self._done(self._written(chunk))
        else:
            self._write_in_parallel(chunks, writers, language)
        self.statistics.created(0, final=True)

    def _written(self, rows: list[ParsedRow]) -> list[Outcome]:
        """A chunk written (``_chunk``), then the statistics kept up (``_Statistics``)."""
        outcomes = self._chunk(rows)
        self.statistics.created(sum(1 for o in outcomes if o.result == "created"))
        return outcomes

    def _write_in_parallel(self, chunks, writers: int, language: str) -> None:
        """Chunks written by ``writers`` threads, each with its own database connection (and
        so its own server process: the triggers' work is spread over several cores). Chunks
        touch distinct partners (keys are unique in the file), so writers never wait for
        each other but on a new tag; the report stays in file order."""
        from django.db import connections

        work: queue.Queue = queue.Queue(maxsize=writers)
        finished: dict[int, list[Outcome]] = {}
        lock = threading.Lock()
        failures: list[BaseException] = []

        def writer():
            try:
                with (
                    translation.override(language),
                    pghistory.context(user=self.user.pk, import_job=self.job.pk),
                ):
                    while True:
                        item = work.get()
                        if item is None:
                            return
                        index, rows = item
                        outcomes = self._written(rows)
                        self.counts.add(outcomes)
                        with lock:
                            finished[index] = outcomes
            except BaseException as exc:  # handed to the main thread
                failures.append(exc)
            finally:
                connections.close_all()  # this thread's connection

        threads = [
            threading.Thread(target=writer, name=f"import-{self.job.pk}-w{n}", daemon=True)
            for n in range(writers)
        ]
        for thread in threads:
            thread.start()
        written = 0

        def flush():
            nonlocal written
            while True:
                with lock:
                    outcomes = finished.pop(written, None)
                if outcomes is None:
                    return
                self.report.write(outcomes)
                written += 1

        try:
            for index, rows in enumerate(chunks):
                while not failures:
                    try:
                        work.put((index, rows), timeout=0.5)
                        break
                    except queue.Full:
                        flush()
                if failures:
                    break
                flush()
        finally:
            for _thread in threads:  # one stop sign each
                while any(t.is_alive() for t in threads):
                    try:
                        work.put(None, timeout=0.5)
                        break
                    except queue.Full:
                        flush()
            for thread in threads:
                thread.join()
            flush()
        if failures:
            raise failures[0]

    def _chunk(self, rows: list[ParsedRow]) -> list[Outcome]:
        """Writes one chunk in one transaction; its outcomes."""
        outcomes: dict[int, Outcome] = {}
        valid: list[ParsedRow] = []
        for row in rows:
            if row.errors:
                outcomes[row.number] = _failed(row, row.errors)
            elif row.skip_reason:
                outcomes[row.number] = Outcome(
                    row.number, "skipped", row.key, row.label, [row.skip_reason]
                )
            else:
                valid.append(row)
        attempts = 3
        while True:
            written = dict(outcomes)
            try:
                with transaction.atomic():
                    if valid:
                        self._quiet_trigger_guards()
                        self._write(valid, written)
                    self._progress(list(written.values()))
            except IntegrityError:
                # Someone wrote the same tax number or external id between our check and our
                # insert: the chunk is rolled back and done again (those rows now match).
                attempts -= 1
                if not attempts:
                    raise
                continue
            return list(written.values())

    def _write(self, rows: list[ParsedRow], outcomes: dict[int, Outcome]) -> None:
        failures: dict[int, str] = {}
        # Existing partners by key (ids only, unscoped), then which of them the user may edit.
        matches = _match_partners(self.job.key, [r.key for r in rows])
        editable = _editable(self.user, set(matches.values()))
        staged: list[tuple[ParsedRow, int | None]] = []
        for row in rows:
            partner_id = matches.get(row.key)
            if partner_id is None:
                if not self.may_add:
                    failures[row.number] = _("you may not add partners")
                elif row.create_errors:
                    failures[row.number] = "; ".join(row.create_errors)
                else:
                    staged.append((row, None))
            elif partner_id not in editable:
                failures[row.number] = _not_yours(self.key_label, row.key)
            else:
                staged.append((row, partner_id))
        created: set[int] = set()
        changed: set[int] = set()
        if staged:
            with connection.cursor() as cursor:
                self._stage(cursor, staged)
                late = self._check(cursor)
                if late:
                    cursor.execute("DELETE FROM import_stage WHERE row = ANY(%s)", [list(late)])
                    failures.update(late)
                created, changed = self._apply(cursor, staged, late)
                # Dropped at commit anyway; at once too, for a caller's enclosing transaction.
                cursor.execute("DROP TABLE import_stage")
        for row, partner_id in staged:
            number = row.number
            if number in failures:
                continue
            if partner_id is None:
                outcomes[number] = Outcome(number, "created", row.key, row.label, [])
            elif partner_id in changed:
                outcomes[number] = Outcome(number, "updated", row.key, row.label, [])
            else:
                outcomes[number] = Outcome(number, "skipped", row.key, row.label, [_("no changes")])
        by_number = {r.number: r for r in rows}
        for number, reason in failures.items():
            outcomes[number] = _failed(by_number[number], [reason])

    def _stage(self, cursor, staged) -> None:
        """COPY of the rows to write into a temporary table, with the id of the partner each
        updates, or the id the new partner will get."""
        new = sum(1 for _row, partner_id in staged if partner_id is None)
        new_ids = iter(())
        if new:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('partners_partner', 'id'))"
                " FROM generate_series(1, %s)",
                [new],
            )
            new_ids = iter([r[0] for r in cursor.fetchall()])
        columns = ", ".join(f"{n} {t}" for n, t, _d in _STAGE_COLUMNS)
        cursor.execute(
            "CREATE TEMPORARY TABLE import_stage (row integer NOT NULL, partner_id bigint,"
            f" new_id bigint, {columns}, owner_id bigint, tags text[], ext_systems text[],"
            " ext_values text[], financials jsonb) ON COMMIT DROP"
        )
        names = ["row", "partner_id", "new_id", *_STAGE_NAMES]
        names += ["owner_id", "tags", "ext_systems", "ext_values", "financials"]
        with cursor.cursor.copy(f"COPY import_stage ({', '.join(names)}) FROM STDIN") as copy:
            for row, partner_id in staged:
                values = row.values
                new_id = next(new_ids) if partner_id is None else None
                record = [row.number, partner_id, new_id]
                for name in _STAGE_NAMES:
                    value = values.get(name)
                    if value is not None:
                        if name in ("phones", "emails"):
                            value = _array_literal(value)
                        elif name == "attributes":
                            value = Jsonb(value)
                    record.append(value)
                ext = values.get("ext")
                tags = values.get("tags")
                figures = values.get("financials")
                record += [
                    values.get("owner_id"),
                    _array_literal(tags) if tags else None,
                    _array_literal(ext) if ext else None,
                    _array_literal(ext.values()) if ext else None,
                    Jsonb(figures) if figures else None,
                ]
                copy.write_row(record)

    def _check(self, cursor) -> dict[int, str]:
        """Conflicts only the database can tell: rows that must fail, with the reason."""
        failures: dict[int, str] = {}
        if self.job.key != "tax_number" and "tax_number" in self.mapped:
            # Another partner already has the row's tax number.
            cursor.execute(
                "SELECT s.row, s.tax_number FROM import_stage s JOIN partners_partner p"
                " ON p.tax_number = s.tax_number"
                " WHERE p.id <> coalesce(s.partner_id, s.new_id)"
            )
            for number, tax in cursor.fetchall():
                failures[number] = _("tax number %(value)s: another partner has it.") % {
                    "value": tax
                }
        if self.has_ext:
            # An external id of the row belongs to another partner.
            cursor.execute(
                "SELECT s.row, x.system, x.value FROM import_stage s"
                " CROSS JOIN LATERAL unnest(s.ext_systems, s.ext_values) AS x(system, value)"
                " JOIN partners_externalid e ON e.system = x.system AND e.value = x.value"
                " WHERE e.partner_id <> coalesce(s.partner_id, s.new_id)"
            )
            for number, system, value in cursor.fetchall():
                failures.setdefault(
                    number,
                    _("%(system)s id %(value)s: another partner has it.")
                    % {"system": system, "value": value},
                )
        if "owner" in self.mapped and not self.may_assign:
            # A new owner for an existing partner is an assignment.
            cursor.execute(
                "SELECT s.row FROM import_stage s WHERE s.partner_id IS NOT NULL"
                " AND s.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
                " partners_partnerowner o WHERE o.partner_id = s.partner_id"
                " AND o.company_id = %s AND o.user_id = s.owner_id)",
                [self.job.company_id],
            )
            for (number,) in cursor.fetchall():
                failures.setdefault(
                    number, _("owner: you may not assign owners to an existing partner.")
                )
        return failures

    def _apply(self, cursor, staged, late) -> tuple[set[int], set[int]]:
        """Inserts the new partners and updates the matched ones; returns the rows created
        and the ids of the existing partners that changed."""
        changed: set[int] = set()
        new_rows = {r.number for r, p in staged if p is None and r.number not in late}
        if new_rows:
            insert_columns = ", ".join(_STAGE_NAMES)
            # Column names come from _STAGE_COLUMNS, values only from the staging table.
            select = ", ".join(
                f"s.{n}" if d is None else f"coalesce(s.{n}, {d})" for n, _t, d in _STAGE_COLUMNS
            )
            # With their change history, set-based (_with_history).
            with _with_history(cursor, Partner) as statement:
                cursor.execute(
                    statement.format(
                        added=f"INSERT INTO partners_partner (id, {insert_columns}, country,"  # noqa: S608
                        " search_text, created_at, updated_at, created_by_id, version)"
                        f" SELECT s.new_id, {select}, 'HU', '', now(), now(), %s, 1"
                        " FROM import_stage s WHERE s.new_id IS NOT NULL ORDER BY s.row"
                        " RETURNING *"
                    ),
                    [self.user.pk],
                )
        if self.update_columns and any(p is not None for _r, p in staged):
            sets = ", ".join(
                "attributes = p.attributes || coalesce(s.attributes, '{}'::jsonb)"
                if n == "attributes"
                else f"{n} = coalesce(s.{n}, p.{n})"
                for n in self.update_columns
            )
            old = ", ".join(f"p.{n}" for n in self.update_columns)
            new = ", ".join(
                "p.attributes || coalesce(s.attributes, '{}'::jsonb)"
                if n == "attributes"
                else f"coalesce(s.{n}, p.{n})"
                for n in self.update_columns
            )
            cursor.execute(
                f"UPDATE partners_partner p SET {sets}, version = p.version + 1,"  # noqa: S608
                " updated_at = now() FROM import_stage s WHERE p.id = s.partner_id"
                f" AND ({old}) IS DISTINCT FROM ({new}) RETURNING p.id"
            )
            changed |= {r[0] for r in cursor.fetchall()}
        # Owners: a new partner gets the mapped owner or the importing user; an existing one
        # the mapped owner (added, never replacing anyone).
        if new_rows or "owner" in self.mapped:
            with _with_history(cursor, PartnerOwner, "partner_id") as statement:
                cursor.execute(
                    statement.format(
                        added="INSERT INTO partners_partnerowner (partner_id, company_id,"
                        " user_id, created_at, reason) SELECT coalesce(s.partner_id, s.new_id),"
                        " %s, coalesce(s.owner_id, %s), now(), %s FROM import_stage s"
                        " WHERE s.new_id IS NOT NULL OR s.owner_id IS NOT NULL"
                        " ON CONFLICT DO NOTHING RETURNING *"
                    ),
                    [self.job.company_id, self.user.pk, self.reason],
                )
                changed |= {r[0] for r in cursor.fetchall()}
        if "tags" in self.mapped:
            # Tags, created if missing (the parser refused missing ones to users who may not).
            if self.may_add_tags:
                cursor.execute(
                    "INSERT INTO partners_tag (name, colour) SELECT DISTINCT ON (upper(n)) n,"
                    " 'secondary' FROM import_stage s, unnest(s.tags) n ORDER BY upper(n), n"
                    " ON CONFLICT DO NOTHING"
                )
                if cursor.rowcount:  # raw SQL sends no signal: the cached tag list is stale
                    from .reference import tags as tag_list

                    tag_list.forget()
            cursor.execute(
                "INSERT INTO partners_partner_tags (partner_id, tag_id)"
                " SELECT DISTINCT coalesce(s.partner_id, s.new_id), t.id"
                " FROM import_stage s, unnest(s.tags) n, partners_tag t"
                " WHERE upper(t.name) = upper(n) ON CONFLICT DO NOTHING RETURNING partner_id"
            )
            changed |= {r[0] for r in cursor.fetchall()}
        if self.has_ext:
            # External ids (a new value for the partner's system replaces the old one).
            cursor.execute(
                "INSERT INTO partners_externalid (partner_id, system, value)"
                " SELECT coalesce(s.partner_id, s.new_id), x.system, x.value"
                " FROM import_stage s"
                " CROSS JOIN LATERAL unnest(s.ext_systems, s.ext_values) AS x(system, value)"
                " ON CONFLICT (partner_id, system) DO UPDATE SET value = EXCLUDED.value"
                " WHERE partners_externalid.value <> EXCLUDED.value RETURNING partner_id"
            )
            changed |= {r[0] for r in cursor.fetchall()}
        if self.has_financials:
            # Balance-sheet years, one statement a chunk (partners.financials.IMPORT_SQL).
            cursor.execute(balance.IMPORT_SQL)
            changed |= {r[0] for r in cursor.fetchall()}
        return new_rows, changed


@contextmanager
def _with_history(cursor, model, returning: str = "pgh_obj_id"):
    """Rows of ``model`` inserted with their change history in one statement: yields a
    statement (``{added}``: the insert, ``RETURNING *``) that writes the same events as
    pghistory's row trigger, which is held off meanwhile (``pgtrigger.ignore``, for this
    transaction; the other triggers still run). The statement returns the events'
    ``returning`` column.

    The row trigger costs a row two PL/pgSQL exception blocks (each a subtransaction) and an
    upsert of the context row: on a 5,000-row chunk of owner rows it took 290 of the insert's
    500 ms (``EXPLAIN ANALYZE``). Here the context is attached once a statement."""
    trigger, statement = _history_statement(model, returning)
    cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + trigger + "}"])
    yield statement
    # Back to the chunk's setting. Not on an error: the transaction is aborted then (a unique
    # violation that _chunk retries), and rolling it back undoes the setting too.
    _ImportBase._quiet_trigger_guards()


@functools.cache
def _history_statement(model, returning: str) -> tuple[str, str]:
    """(the name of pghistory's insert trigger on ``model``, the statement of
    ``_with_history``): the event columns come from the row as inserted, but pghistory's own
    (when, what, which row, which context)."""
    trigger = next(t for t in model._meta.triggers if t.name == "insert_insert")
    event = model.pgh_event_model._meta
    values = {
        "pgh_created_at": "now()",
        "pgh_label": "'insert'",
        "pgh_obj_id": "a.id",
        "pgh_context_id": "c.id",
    }
    columns = [f.column for f in event.concrete_fields if f.column != "pgh_id"]
    sql = (
        "WITH a AS ({added})"  # noqa: S608 - the names come from the models
        f" INSERT INTO {event.db_table} ({', '.join(columns)})"
        f" SELECT {', '.join(values.get(c, f'a.{c}') for c in columns)}"
        f" FROM a CROSS JOIN (SELECT _pgh_attach_context() AS id) c RETURNING {returning}"
    )
    return trigger.get_pgid(model), sql


# ----------------------------------------------------------------------------- contacts


class ContactImport(_ImportBase):
    """Contacts through ``contact_create`` / ``contact_update`` (which validate with
    ``full_clean``, keep the single-only contact types and queue the GDPR notice): a
    transaction per chunk, a savepoint per row."""

    def run(self, path) -> None:
        from .services import acting_company

        self.company = self.job.company
        acting_company(self.user)  # refuses a user without a company, as the forms do
        self.may_add = self.user.has_perm("partners.add_contact")
        self.types = {t.pk: t for t in ContactType.objects.all()}
        language = translation.get_language()
        parser = RowParser(self.job, user=self.user)
        for chunk in _read_in_thread(self.job, parser, path, CONTACT_CHUNK_ROWS, language):
            self._chunk(chunk)

    def _chunk(self, rows: list[ParsedRow]) -> None:
        outcomes: list[Outcome] = []
        valid = []
        for row in rows:
            if row.errors:
                outcomes.append(_failed(row, row.errors))
            elif row.skip_reason:
                outcomes.append(
                    Outcome(row.number, "skipped", row.key, row.label, [row.skip_reason])
                )
            else:
                valid.append(row)
        with transaction.atomic():
            self._quiet_trigger_guards()
            partners = _contact_partners(valid)
            editable = _editable(self.user, set(partners.values()))
            existing = _existing_contacts(set(partners.values()))
            for row in valid:
                outcomes.append(self._row(row, partners, editable, existing))
            self._progress(outcomes)
        self._done(outcomes)

    def _row(self, row: ParsedRow, partners, editable, existing) -> Outcome:
        from crm.versioning import Conflict

        from .services import contact_create, contact_update

        partner_id = partners.get(row.partner_key)
        if partner_id is None:
            return _failed(row, [_no_partner(row.partner_key)])
        if partner_id not in editable:
            return _failed(row, [_not_yours(_("partner"), row.partner_key)])
        values = row.values
        types = [self.types[t.pk] for t in values.get("types", []) if t.pk in self.types]
        contact = _find_contact(self.job.key, values, partner_id, existing)
        try:
            with transaction.atomic():
                if contact is None:
                    if not self.may_add:
                        return _failed(row, [_("you may not add contacts")])
                    if row.create_errors:
                        return _failed(row, row.create_errors)
                    contact = Contact(partner_id=partner_id, **self._fields(values))
                    contact_create(
                        user=self.user,
                        contact=contact,
                        types=types,
                        source=ConsentSource.IMPORT,
                        company=self.company,
                    )
                    keys = _contact_keys(
                        partner_id, contact.emails, contact.family_name, contact.given_name
                    )
                    for key in keys:
                        existing.setdefault(key, contact)
                    return Outcome(row.number, "created", row.key, row.label, [])
                changed = []
                for name, value in self._fields(values).items():
                    if name == "attributes":
                        value = {**contact.attributes, **value}
                    if getattr(contact, name) != value:
                        setattr(contact, name, value)
                        changed.append(name)
                present = set(contact.roles.values_list("type_id", flat=True))
                new_types = [t for t in types if t.pk not in present]
                if not changed and not new_types:
                    return Outcome(row.number, "skipped", row.key, row.label, [_("no changes")])
                contact_update(
                    user=self.user,
                    contact=contact,
                    fields=changed,
                    expected_version=contact.version,
                    types=[self.types[pk] for pk in present if pk in self.types] + new_types
                    if new_types
                    else None,
                )
                return Outcome(row.number, "updated", row.key, row.label, [])
        except ValidationError as exc:
            return _failed(row, _validation_reasons(exc, Contact))
        except Conflict:
            return _failed(row, [_("someone changed this contact meanwhile; import it again")])
        except IntegrityError:
            return _failed(row, [_("the database refused the row (a unique rule)")])

    @staticmethod
    def _fields(values: dict) -> dict:
        names = ("title", "family_name", "given_name", "position", "emails", "phones")
        fields = {n: values[n] for n in names if n in values}
        for name in ("language", "notes", "attributes"):
            if name in values:
                fields[name] = values[name]
        return fields


def _validation_reasons(exc: ValidationError, model) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return [_message(exc)]
    reasons = []
    for name, errors in exc.error_dict.items():
        try:
            label = model._meta.get_field(name).verbose_name
        except Exception:
            label = "" if name == "__all__" else name
        for error in errors:
            if name == "types":
                # A whole sentence that starts with the partner's name (a second contact of
                # a single-only type): given as written, as the preview gives it.
                reasons.append(" ".join(error.messages))
                continue
            text = _message(ValidationError(error.messages))
            reasons.append(f"{label}: {text}" if label else text)
    return reasons


# ----------------------------------------------------------------------------- starting


def import_start(*, job: ImportJob, user, language: str | None = None) -> bool:
    """Queues a checked job for the Celery task (after commit); False if it was not in a
    state to start (started twice, say)."""
    from .tasks import import_run

    started = ImportJob.objects.filter(
        pk=job.pk, state__in=[ImportState.UPLOADED, ImportState.MAPPED]
    ).update(state=ImportState.QUEUED)
    if started:
        transaction.on_commit(lambda: import_run.delay(job.pk, language))
    return bool(started)
