"""Template files of the three kinds for the generator's tests, and reading outputs back."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from documents import generator
from documents.models import DocumentType, Folder, FolderGrant, Level

CONTRACT_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><style>body { font-family: "DejaVu Sans"; }</style></head>
<body>
<h1>Szállítási szerződés</h1>
<p>Megrendelő: {{ partner.name }} ({{ partner.tax_number }})</p>
<p>Szállító: {{ company.name }}</p>
<p>Kelt: {{ today.date }}</p>
{% for c in contacts %}<p>Kapcsolattartó: {{ c.name }}</p>{% endfor %}
</body></html>
"""


def docx_file(paragraphs: list[str]) -> bytes:
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_file(cells: dict[str, object]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Átadás"
    for coordinate, value in cells.items():
        sheet[coordinate] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def xlsx_values(data: bytes) -> dict:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    return {c.coordinate: c for row in sheet.iter_rows() for c in row if c.value is not None}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def templates_folder(company, *, readers=()):
    folder, _created = Folder.objects.get_or_create(company=company, name="Sablonok", parent=None)
    for user in readers:
        FolderGrant.objects.create(folder=folder, user=user, level=Level.READ)
    return folder


def make_template(author, name, filename, content, *, folder=None, output_type=None):
    """A template filed by ``author`` (who may write ``folder``)."""
    if isinstance(content, str):
        content = content.encode()
    return generator.template_create(
        user=author,
        company_id=author.current_company_id,
        name=name,
        uploaded=SimpleUploadedFile(filename, content),
        folder=folder,
        output_type=output_type or DocumentType.CONTRACT,
    )


def output(document) -> bytes:
    with document.current_version.file.open("rb") as handle:
        return handle.read()


def pdf_fonts(data: bytes) -> set[str]:
    """The base font names of a PDF's pages (``ABCDEF+DejaVuSans`` → ``DejaVuSans``)."""
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


@pytest.fixture
def english(client):
    """Messages in English, in the test and in the test client's pages (the catalogue's
    Hungarian is checked by the browser test)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
