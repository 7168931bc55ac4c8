"""A query's result written as a spreadsheet (issue 23): XLSX or CSV, from a built query
(``engine.build``), read and written chunk by chunk, never whole in memory.

- Rows come from the built query's scoped ``values_list`` through a server-side cursor
  (``iterator(chunk_size=CHUNK)``); each chunk is prepared once (``built.prepare``: the
  user names, constant queries) and its values turned into spreadsheet values
  (``built.export_value``), then written and dropped.
- XLSX (XlsxWriter's constant-memory mode, into a temporary file): typed cells, dates as dates
  shown ``yyyy. mm. dd.`` (the language's short date format), numbers as numbers, money as
  numbers shown in forints, yes/no as text, a bold frozen header with an auto-filter. Text
  is neutralised against formulas as every spreadsheet of the CRM is
  (``crm.spreadsheets.neutralise``).
- CSV (``crm.spreadsheets.csv_lines``): UTF-8 with a BOM, ``;`` between cells by default
  (``,`` on request), numbers and dates as the language shows them.

``export_run`` is the service behind the background export of an ``ExportRecord``
(``export_tasks.export_run``): the file goes to the default storage, the progress to the
record after every chunk.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from itertools import islice

from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from crm import spreadsheets
from crm.dates import formatter

CHUNK = 2000  # rows read, prepared and written at a time
FORMATS = ("xlsx", "csv")
SEPARATORS = (";", ",")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# Money in forints. "#,##0" is the file format's own way to say "grouped in thousands": Excel
# shows it with the reader's separator, a space in Hungarian ("1 234 567 Ft"). A literal space
# ("# ##0") would group only the last three digits ("1234 567 Ft").
MONEY_FORMAT = '#,##0 "Ft"'
NUMBER_TYPES = ("number", "money")
SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


# --------------------------------------------------------------------------- reading


def result_rows(built):
    """The result's rows in the query's order (a grouped query's queryset is sorted already;
    a row list's sort keys are its queryset's annotations, ``built.order``)."""
    queryset = built.queryset
    if not built.grouped and built.order:
        queryset = queryset.order_by(*built.order)
    return queryset


def chunks(built, *, size: int = CHUNK) -> Iterator[list[tuple]]:
    """The result's raw rows, ``size`` at a time, from a server-side cursor."""
    rows = result_rows(built).iterator(chunk_size=size)
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        yield chunk


def _yes_no() -> tuple[str, str]:
    return _("yes"), _("no")


def _converters(built) -> list[Callable]:
    """One function per column turning a raw value into what a spreadsheet holds: text for
    choices, users and yes/no, typed numbers and dates (an aware datetime in the local time
    zone, without zone: spreadsheets have none). Text is neutralised later, by the writer."""
    yes, no = _yes_no()
    zone = timezone.get_current_timezone()
    export_value = built.export_value
    converters = []
    for column in built.columns:
        kind = column.type

        if kind in NUMBER_TYPES:

            def convert(value, column=column):
                if value is None or isinstance(value, int | float | decimal.Decimal):
                    return value
                return export_value(value, column)

        elif kind in ("date", "datetime"):

            def convert(value, column=column):
                if isinstance(value, datetime.datetime):
                    if value.tzinfo is not None:
                        value = value.astimezone(zone).replace(tzinfo=None)
                    return value
                return value if value is None else export_value(value, column)

        elif kind == "boolean":

            def convert(value, column=column):
                if value is None:
                    return None
                if isinstance(value, bool):
                    return yes if value else no
                return export_value(value, column)

        elif kind == "text":

            def convert(value, column=column):
                if value is None or type(value) is str:
                    return value
                return export_value(value, column)

        elif kind in ("choice", "user"):
            # a label or a name, the same for every row with that value: asked once each (a
            # user's name is there once ``prepare`` has read it, before the first row with it)
            def convert(value, column=column, shown={}):  # noqa: B006 - this column's own
                try:
                    return shown[value]
                except KeyError:
                    text = shown[value] = export_value(value, column)
                    return text
                except TypeError:  # a list of values
                    return export_value(value, column)

        else:  # whatever a later app registers

            def convert(value, column=column):
                return export_value(value, column)

        converters.append(convert)
    return converters


def export_rows(built, *, size: int = CHUNK, progress: Callable[[int], None] | None = None):
    """The result's rows as spreadsheet values (lists), read ``size`` at a time; after each
    chunk has been handed on, ``progress(rows so far)``."""
    converters = _converters(built)
    done = 0
    for chunk in chunks(built, size=size):
        built.prepare(chunk)
        for row in chunk:
            yield [convert(value) for convert, value in zip(converters, row, strict=False)]
        done += len(chunk)
        if progress is not None:
            progress(done)


def header(built) -> list[str]:
    return [str(column.label) for column in built.columns]


# --------------------------------------------------------------------------- XLSX


def sheet_title(title: str) -> str:
    """A worksheet's name: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = SHEET_TITLE_BAD.sub(" ", str(title or "")).strip().strip("'")
    return (cleaned or _("Query"))[:31]


def _excel_format(django_format: str) -> str:
    """A Django date format of numeric fields (``Y. m. d. H:i``) as an Excel number format."""
    return "".join(
        {"Y": "yyyy", "m": "mm", "d": "dd", "n": "m", "j": "d", "H": "hh", "G": "h", "i": "mm"}.get(
            c, c
        )
        for c in django_format
    )


def write_xlsx(built, output, *, title: str, rows=None) -> int:
    """The result as an XLSX workbook of one sheet into ``output`` (a binary file); returns
    the number of rows written. ``rows``: the spreadsheet rows (``export_rows``), by default
    all of them. XlsxWriter in its constant-memory mode: each row goes to disk as it is written
    (2.4 times openpyxl's write-only speed here); text is never read as a formula or a link."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet(sheet_title(title))
    labels = header(built)
    bold = book.add_format({"bold": True})
    for number, text in enumerate(labels):
        sheet.write_string(0, number, spreadsheets.neutralise(text), bold)
        sheet.set_column(number, number, min(max(len(text) + 2, 12), 50))
    sheet.freeze_panes(1, 0)
    formats = {
        "date": book.add_format({"num_format": _excel_format(get_format("SHORT_DATE_FORMAT"))}),
        "datetime": book.add_format(
            {"num_format": _excel_format(get_format("SHORT_DATETIME_FORMAT"))}
        ),
        "money": book.add_format({"num_format": MONEY_FORMAT}),
    }
    styles = [formats.get(column.type) for column in built.columns]
    neutralise = spreadsheets.neutralise
    formula_start = spreadsheets.FORMULA_START
    write_string, write_number = sheet.write_string, sheet.write_number
    write_datetime = sheet.write_datetime
    count = 0
    for line, row in enumerate(export_rows(built) if rows is None else rows, start=1):
        for index, value in enumerate(row):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if value.startswith(formula_start):  # the only ones neutralise changes
                    value = neutralise(value)
                write_string(line, index, value)
            elif kind is bool:
                write_string(line, index, _yes_no()[0] if value else _yes_no()[1])
            elif kind in (int, float, decimal.Decimal):
                write_number(line, index, value, styles[index])
            elif kind in (datetime.date, datetime.datetime):
                write_datetime(line, index, value, styles[index])
            else:
                write_string(line, index, neutralise(str(value)))
        count = line
    if labels:
        sheet.autofilter(0, 0, count, len(labels) - 1)
    book.close()
    return count


def xlsx_file(built, *, title: str, rows=None):
    """``write_xlsx`` into a temporary file, returned open at its start, and the row count."""
    output = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    count = write_xlsx(built, output, title=title, rows=rows)
    output.seek(0)
    return output, count


# --------------------------------------------------------------------------- CSV


def _show_number() -> Callable:
    """Numbers as the language writes them in a cell (``1234,5`` in Hungarian: the decimal
    sign, no grouping, as ``number_format`` without forced grouping shows them), cheaply."""
    from django.utils.formats import number_format

    separator = get_format("DECIMAL_SEPARATOR")

    def show(value) -> str:
        if type(value) is int:
            return str(value)
        if isinstance(value, decimal.Decimal) and value.is_finite():
            return format(value, "f").replace(".", separator)
        return number_format(value, use_l10n=True)

    return show


def _show_date() -> Callable:
    """Dates and datetimes as the language shows them (``2026. 11. 22.``, ``2026. 11. 22.
    14:30``); the values are already local (``_converters``)."""
    show_day = formatter(get_format("SHORT_DATE_FORMAT"))
    show_moment = formatter(get_format("SHORT_DATETIME_FORMAT"))

    def show(value) -> str:
        return show_moment(value) if isinstance(value, datetime.datetime) else show_day(value)

    return show


def csv_lines(built, *, separator: str = ";", rows=None) -> Iterator[str]:
    """The result as CSV lines for Excel (``crm.spreadsheets.csv_lines``), the first with the
    BOM; ``separator``: ``;`` (Hungarian Excel) or ``,``. Written in Python, value by value."""
    if separator not in SEPARATORS:
        raise ValueError(separator)
    return spreadsheets.csv_lines(
        header(built),
        export_rows(built) if rows is None else rows,
        show_date=_show_date(),
        show_number=_show_number(),
        delimiter=separator,
    )


class Tally:
    """How many rows a CSV writer has written (known once it has finished)."""

    rows = 0


def csv_chunks(
    built, *, separator: str = ";", tally: Tally | None = None, progress=None
) -> Iterator[bytes]:
    """The result as CSV bytes, a block at a time. PostgreSQL writes the rows itself
    (``COPY (…) TO STDOUT``, values shown in SQL as ``csv_lines`` shows them: ``copy_sql``)
    when it can show every column; else Python writes them (``csv_lines``). ``progress(rows
    so far)`` is called now and then; ``tally.rows`` holds the count at the end."""
    if separator not in SEPARATORS:
        raise ValueError(separator)
    tally = tally if tally is not None else Tally()
    copied = _copied(built, separator, tally, progress)
    first = next(copied, b"")
    if first:
        yield first
        yield from copied
        return
    copied.close()  # PostgreSQL could not: the query's rows in Python
    rows = export_rows(built, progress=progress)
    buffer, count = [], -1  # the header line
    for line in csv_lines(built, separator=separator, rows=rows):
        buffer.append(line)
        count += 1
        if len(buffer) >= CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
    yield "".join(buffer).encode("utf-8")
    tally.rows = count


def write_csv(built, output, *, separator: str = ";", progress=None) -> int:
    """The CSV into ``output`` (a binary file); the row count."""
    tally = Tally()
    for block in csv_chunks(built, separator=separator, tally=tally, progress=progress):
        output.write(block)
    return tally.rows


def csv_stream(built, *, separator: str = ";") -> Iterator[bytes]:
    """The CSV as bytes for a streamed response."""
    return csv_chunks(built, separator=separator)


# ---------------------------------------------------------------- the CSV written by PostgreSQL
# A CSV of 100,000 rows takes Python several seconds value by value; PostgreSQL's COPY writes
# the same lines in a fraction of that. The rows are the engine's (its scoped, sorted queryset,
# as SQL), each value shown by an SQL expression giving the text ``csv_lines`` gives: choices
# and users by their labels and names (a JSON map made in Python), numbers with the language's
# decimal sign, dates in its format in the current time zone, yes/no in words, text
# neutralised by ``crm.spreadsheets``' rule. A column it cannot show (a list of values, a type
# it does not know) leaves the whole CSV to Python.

_TO_CHAR = {
    "Y": "YYYY",
    "m": "MM",
    "n": "FMMM",
    "d": "DD",
    "j": "FMDD",
    "H": "HH24",
    "G": "FMHH24",
    "i": "MI",
    "s": "SS",
}
# crm.spreadsheets.neutralise: text starting with =, +, -, @, a tab or a CR, unless it reads as
# a number (NUMBER_LIKE), gets a ' in front. The first character is tested by its code (ascii,
# cheap), the regular expression runs only for those few.
_FORMULA_CODES = ", ".join(str(ord(c)) for c in spreadsheets.FORMULA_START)
_NUMBER_LIKE = r"^[+-]?[0-9[:space:]().,/]+$"
_NEUTRALISED = (
    "CASE WHEN ascii({0}) IN (" + _FORMULA_CODES + ") AND {0} !~ %s THEN '''' || {0} ELSE {0} END"
)
# Choices up to this many are shown by a CASE, more by a lookup in a JSON map.
_CASE_CHOICES = 12


def _to_char_format(django_format: str) -> str | None:
    """A Django date format of numeric fields as a ``to_char`` pattern (literal text quoted);
    None for a format with other fields."""
    from crm.dates import _DJANGO_FORMAT_CHARACTERS

    pattern, literal = [], []
    for character in django_format:
        if character in _TO_CHAR:
            if literal:
                pattern.append('"' + "".join(literal) + '"')
                literal = []
            pattern.append(_TO_CHAR[character])
        elif character in _DJANGO_FORMAT_CHARACTERS or character in '\\"':
            return None
        else:
            literal.append(character)
    if literal:
        pattern.append('"' + "".join(literal) + '"')
    return "".join(pattern)


def _user_names() -> str:
    """Every user's name as ``str(user)`` gives it, as JSON keyed by id."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.only("username", "first_name", "last_name")
    return json.dumps({str(u.pk): str(u) for u in users.iterator(chunk_size=2000)})


def _has_floats(built) -> bool:
    """Whether a value of the result is a float in Python (an average of whole numbers):
    PostgreSQL's numeric text of it has other digits than Python shows."""
    from django.core.exceptions import FieldError
    from django.db.models import FloatField

    for expression in built.queryset.query.annotations.values():
        try:
            if isinstance(expression.output_field, FloatField):
                return True
        except FieldError:
            return True
    return False


def copy_sql(built) -> tuple[str, list] | None:
    """(SELECT of the rows' CSV cells, its parameters), or None when a column cannot be
    shown in SQL."""
    if _has_floats(built):
        return None
    date_format = _to_char_format(get_format("SHORT_DATE_FORMAT"))
    moment_format = _to_char_format(get_format("SHORT_DATETIME_FORMAT"))
    yes, no = _yes_no()
    shown, shown_params, outer, outer_params = [], [], [], []
    names = None
    for index, column in enumerate(built.columns):
        value = f"q.c{index}"
        kind = column.type
        text = False
        if column.many:
            return None
        if kind == "text":
            expression, params, text = f"{value}::text", [], True
        elif kind == "choice":
            labels = {str(k): str(v) for k, v in (column.choices or {}).items()}
            text = True
            if len(labels) > _CASE_CHOICES:
                expression = f"coalesce(%s::jsonb ->> {value}::text, {value}::text)"
                params = [json.dumps(labels)]
            elif labels:
                whens = " ".join("WHEN %s THEN %s" for _label in labels)
                expression = f"CASE {value}::text {whens} ELSE {value}::text END"
                params = [item for pair in labels.items() for item in pair]
            else:
                expression, params = f"{value}::text", []
        elif kind == "user":
            names = _user_names() if names is None else names
            expression = f"coalesce(%s::jsonb ->> {value}::text, {value}::text)"
            params, text = [names], True
        elif kind in NUMBER_TYPES:
            expression = f"replace({value}::text, '.', %s)"
            params = [get_format("DECIMAL_SEPARATOR")]
        elif kind == "date" and date_format:
            expression, params = f"to_char({value}, %s)", [date_format]
        elif kind == "datetime" and moment_format:
            # the moment in the current time zone (never the session's: a SET would outlive
            # the export inside an outer transaction)
            expression = f"to_char({value} AT TIME ZONE %s, %s)"
            params = [timezone.get_current_timezone_name(), moment_format]
        elif kind == "boolean":
            expression = f"CASE WHEN {value}::boolean THEN %s WHEN NOT {value}::boolean THEN %s END"
            params = [yes, no]
        else:
            return None
        if text:  # an empty text unquoted, as Python's csv writes it (COPY quotes it)
            expression = f"nullif({expression}, '')"
        shown.append(f"{expression} AS t{index}")
        shown_params += params
        if text:
            outer.append(_NEUTRALISED.format(f"s.t{index}"))
            outer_params.append(_NUMBER_LIKE)
        else:
            outer.append(f"s.t{index}")
    inner, inner_params = result_rows(built).query.sql_with_params()
    aliases = ", ".join(f"c{i}" for i in range(len(built.columns)))
    # OFFSET 0 keeps the shown values a subquery of their own: flattened, each would be
    # computed again wherever the neutralising CASE names it
    sql = (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(shown)}"  # noqa: S608 - ours
        f" FROM ({inner}) AS q({aliases}) OFFSET 0) AS s"
    )
    return sql, [*outer_params, *shown_params, *inner_params]


def _copied(built, separator: str, tally: Tally, progress) -> Iterator[bytes]:
    """The CSV from PostgreSQL's COPY: the header line from Python (with the BOM), then the
    rows, their line ends made CRLF. A single b"" when it cannot be written so."""
    import logging

    from django.db import DatabaseError, connection, transaction

    statement = copy_sql(built)
    if statement is None:
        yield b""
        return
    head = next(
        spreadsheets.csv_lines(
            header(built), [], show_date=str, show_number=str, delimiter=separator
        )
    ).encode("utf-8")
    delimiter = "';'" if separator == ";" else "','"
    started = False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            sql = cursor.mogrify(*statement)
            sql = sql.decode() if isinstance(sql, bytes) else sql
            command = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, DELIMITER {delimiter})"
            with cursor.cursor.copy(command) as copy:
                # (no progress meanwhile: it would be written in this transaction, unseen)
                lines = 0
                for block in copy:
                    data = bytes(block)
                    lines += data.count(b"\n")
                    data = data.replace(b"\n", b"\r\n")
                    if not started:
                        data, started = head + data, True
                    yield data
            rowcount = cursor.cursor.rowcount
            tally.rows = rowcount if rowcount >= 0 else lines
    except (DatabaseError, AttributeError):
        if started:  # rows were sent already: nothing can be taken back
            raise
        logging.getLogger(__name__).exception("the CSV could not be written by COPY")
        yield b""
        return
    if not started:
        yield head
    if progress is not None:
        progress(tally.rows)


# --------------------------------------------------------------------------- file names


def filename(title: str, fmt: str) -> str:
    """``Aktív partnerek Pesten-2026-12-07.xlsx``: the title without what a file name may not
    hold, and today's date."""
    cleaned = re.sub(r'[\\/:*?"<>|\r\n\t]+', " ", str(title or "")).strip() or _("query")
    return f"{cleaned[:80]}-{timezone.localdate().isoformat()}.{fmt}"


# --------------------------------------------------------------------------- the audit and
# the background run


def export_record(*, user, spec: dict, params: dict, saved_query, fmt: str, rows: int):
    """The audit row of an export written in the request (done at once)."""
    from crm.scoping import current_company_id

    from .models import ExportRecord, ExportState

    now = timezone.now()
    return ExportRecord.objects.create(
        user=user,
        company_id=current_company_id(user),
        saved_query=saved_query,
        spec=spec,
        params=params or {},
        format=fmt,
        rows=rows,
        state=ExportState.DONE,
        progress=100,
        finished_at=now,
    )


def export_queue(
    *, user, spec: dict, params: dict, saved_query, fmt: str, separator: str, language: str
):
    """The audit row of a background export, queued; its task starts after the commit."""
    from django.db import transaction

    from crm.scoping import current_company_id

    from .export_tasks import export_run as task
    from .models import ExportRecord, ExportState

    with transaction.atomic():
        record = ExportRecord.objects.create(
            user=user,
            company_id=current_company_id(user),
            saved_query=saved_query,
            spec=spec,
            params=params or {},
            format=fmt,
            state=ExportState.QUEUED,
        )
        transaction.on_commit(lambda: task.delay(record.pk, language, separator))
    return record


# A background export still queued or running this long after it was asked for has lost its
# worker (a million rows take minutes): its page says so instead of polling for ever.
STALE_AFTER = datetime.timedelta(hours=1)


def export_expire_stale(record):
    """``record`` ended as failed when its worker is gone (``STALE_AFTER``); the record."""
    from .models import ExportState

    waiting = (ExportState.QUEUED, ExportState.RUNNING)
    if record.state in waiting and record.created_at < timezone.now() - STALE_AFTER:
        _expire(type(record).objects.filter(pk=record.pk))
        record.refresh_from_db()
    return record


def exports_expire_stale() -> int:
    """Every export still queued or running ``STALE_AFTER`` after it was asked for ends as
    failed (the beat's sweep: no worker took it, or its worker died), whether or not anybody
    is looking at its progress; how many."""
    from django.conf import settings
    from django.utils import translation

    from .models import ExportRecord

    with translation.override(settings.LANGUAGE_CODE):
        return _expire(ExportRecord.objects.filter(created_at__lt=timezone.now() - STALE_AFTER))


def _expire(records) -> int:
    from .models import ExportState

    return records.filter(state__in=(ExportState.QUEUED, ExportState.RUNNING)).update(
        state=ExportState.FAILED,
        error=_(
            "The export stopped before it finished (no worker took it, or it ended)."
            " Export the query again."
        ),
        finished_at=timezone.now(),
    )


def export_run(*, record_id: int, language: str | None = None, separator: str = ";") -> bool:
    """Runs a queued export (the Celery task's work): the query is built again as the
    record's user (their rows, their fields), written to a temporary file chunk by chunk with
    the progress saved after each, then stored (default storage). A refused query or a
    failure ends the record as failed with the reason. False when the record was not queued
    (taken already)."""
    import logging
    import uuid

    from django.conf import settings
    from django.core.files import File
    from django.utils import translation

    from .engine import QueryError, build
    from .models import ExportRecord, ExportState

    records = ExportRecord.objects.filter(pk=record_id)
    if not records.filter(state=ExportState.QUEUED).update(state=ExportState.RUNNING):
        return False
    record = ExportRecord.objects.select_related("user", "saved_query").get(pk=record_id)
    with translation.override(language or settings.LANGUAGE_CODE):
        title = record.saved_query.name if record.saved_query else _("Query")
        try:
            built = build(record.spec, record.user, params=record.params)
            total = result_rows(built).count()

            def progress(done: int) -> None:
                percent = min(99, done * 100 // total) if total else 99
                records.update(progress=percent, rows=done)

            with tempfile.TemporaryFile() as output:
                if record.format == "csv":
                    count = write_csv(built, output, separator=separator, progress=progress)
                else:
                    rows = export_rows(built, progress=progress)
                    count = write_xlsx(built, output, title=title, rows=rows)
                output.seek(0)
                record.file.save(f"{uuid.uuid4().hex}.{record.format}", File(output), save=False)
        except QueryError as err:
            part = str(getattr(err, "part", "") or "")
            records.update(
                state=ExportState.FAILED,
                error=f"{part}: {err}" if part else str(err),
                finished_at=timezone.now(),
            )
            return True
        except Exception:
            logging.getLogger(__name__).exception("export %s failed", record_id)
            records.update(
                state=ExportState.FAILED,
                error=_("The export failed. Try again; if it fails again, tell an administrator."),
                finished_at=timezone.now(),
            )
            return True
    records.update(
        state=ExportState.DONE,
        file=record.file.name,
        rows=count,
        progress=100,
        finished_at=timezone.now(),
    )
    return True
