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
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
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
