"""Small real files with Hungarian text, made by the libraries of each format (WeasyPrint for
PDF, python-docx, openpyxl, an OpenDocument zip), plus the legacy DOC and XLS committed under
``files/`` (made once with LibreOffice and xlwt: nothing maintained writes them today)."""

import functools
import io
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

FILES = Path(__file__).parent / "files"
CONTRACT = (
    "Szállítási keretszerződés. A felek megállapodnak, hogy késedelmes teljesítés esetén a "
    "Szállító kötbérrel tartozik. Árvíztűrő tükörfúrógép."
)


@functools.lru_cache
def pdf_bytes(text: str = CONTRACT) -> bytes:
    from django.utils.html import escape
    from weasyprint import HTML

    return HTML(string=f"<html><body><p>{escape(text)}</p></body></html>").write_pdf()


def encrypted_pdf_bytes(text: str = CONTRACT) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt(user_password="titok", owner_password="titok", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(text: str = CONTRACT) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Ajánlat", level=1)
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Határidő"
    table.rows[0].cells[1].text = "2026. 11. 22."
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(text: str = CONTRACT) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Árlista"
    sheet.append(["Termék", "Nettó ár"])
    sheet.append([text, 125000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def odt_bytes(text: str = CONTRACT) -> bytes:
    from django.utils.html import escape

    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text><text:h>Jegyzőkönyv</text:h><text:p>{escape(text)}"
        "</text:p></office:text></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def committed(name: str) -> bytes:
    return (FILES / name).read_bytes()
