"""What every spreadsheet the CRM writes needs: text that Excel would run as a formula
(``=HYPERLINK(…)``, ``@SUM(…)``) is neutralised, and the cells are written with openpyxl."""

import io
import re

NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().,/]+$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` …) as text
    (``'`` in front); numbers and phone numbers (``+36 30 …``, ``-12,5``) stay as they are."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER_LIKE.match(text):
        return "'" + text
    return text


def looks_like_formula(text: str) -> bool:
    return neutralise(text) != text


def xlsx(title: str, header: list[str], rows) -> bytes:
    """One sheet: a bold header, then the rows. Text cells are neutralised; numbers, dates
    and None are written as they are."""
    return xlsx_sheets([(title, header, rows)])


def xlsx_sheets(sheets) -> bytes:
    """A workbook of several sheets, each ``(title, header, rows)`` written as ``xlsx``
    writes its one (a report of several tables)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([neutralise(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([neutralise(v) if isinstance(v, str) else v for v in row])
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 50)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------- exports of long lists
# A list's export is written as it is read, never held whole in memory: the CSV is a generator
# of lines, the XLSX goes row by row through openpyxl's write-only mode into a temporary file on
# disk (a zip cannot be streamed before it is finished), which the response then sends in chunks.


def _excel_date_format(django_format: str) -> str:
    """A Django date format of numeric fields (``Y. m. d.``) as an Excel number format."""
    return "".join(
        {"Y": "yyyy", "m": "mm", "d": "dd", "n": "m", "j": "d"}.get(c, c) for c in django_format
    )


def csv_lines(header: list[str], rows, *, show_date, show_number, delimiter: str = ";"):
    """The lines of a CSV for Excel in Hungary: UTF-8 with a BOM (else Excel reads it as
    Windows-1250), ``;`` between cells (the comma is the decimal sign; ``delimiter`` names
    another), every line ending in CRLF. Text is neutralised (``neutralise``); dates and
    numbers are shown by ``show_date`` and ``show_number`` (the language's formats)."""
    import csv
    import datetime
    import decimal

    class _Line:
        def write(self, text):
            return text

    writer = csv.writer(_Line(), delimiter=delimiter, lineterminator="\r\n")

    def cell(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, datetime.date):
            return show_date(value)
        if isinstance(value, int | float | decimal.Decimal):
            return show_number(value)
        return neutralise(value)

    yield "\ufeff" + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def xlsx_file(title: str, header: list[str], rows, *, date_format: str):
    """An XLSX of one sheet written row by row (openpyxl's write-only mode) into a temporary
    file, returned open at its start. Text is neutralised; numbers stay numbers; dates are
    dates shown in ``date_format`` (a Django format such as ``Y. m. d.``)."""
    import datetime
    import tempfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)
    excel_date = _excel_date_format(date_format)
    heads = []
    for number, text in enumerate(header, start=1):
        head = WriteOnlyCell(sheet, value=neutralise(text))
        head.font = bold
        heads.append(head)
        # the widths must be known before the first row: the header's, at least 12
        sheet.column_dimensions[get_column_letter(number)].width = min(max(len(text) + 2, 12), 50)
    sheet.freeze_panes = "A2"
    sheet.append(heads)

    def cell(value):
        if isinstance(value, str):
            return neutralise(value)
        if isinstance(value, datetime.date):
            dated = WriteOnlyCell(sheet, value=value)
            dated.number_format = excel_date
            return dated
        return value

    for row in rows:
        sheet.append([cell(v) for v in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    book.save(output)
    output.seek(0)
    return output


def in_language(chunks):
    """``chunks`` (a streamed response's body) read in the current language: a streamed
    response is read after the view has returned, when the request's language is gone."""
    from django.utils import translation

    language = translation.get_language()

    def read():
        with translation.override(language):
            yield from chunks

    return read()
