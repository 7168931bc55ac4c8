"""Fixtures of the document store's tests: the persona organisation, files of every kind, and
a media folder of the test's own."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents import services
from documents.models import Document, DocumentType
from tests.partners.conftest import make_partner, org  # noqa: F401 - fixtures

from .servers import clamd, moto_server, relayed_s3, s3  # noqa: F401 - fixtures

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(params=["filesystem", "s3"])
def backend(request, media):
    """Each test twice: files under MEDIA_ROOT, then in a bucket of the S3 server (moto on
    loopback). Yields a function listing the stored names."""
    if request.param == "filesystem":
        yield lambda: [str(p.relative_to(media)) for p in stored_files(media)]
    else:
        server, bucket = request.getfixturevalue("s3")
        yield lambda: server.keys(bucket)


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file())


def pdf(name="Szerződés.pdf", body=b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + body, content_type="application/pdf")


def office_zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return office_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document>Szerz\xc5\x91d\xc3\xa9s</w:document>",
        }
    )


def make_document(owner, *, title="Keretszerződés", folder=None, links=(), file=None, **fields):
    """A document of ``owner``'s current company, with one version (a PDF by default)."""
    document = services.document_create(
        user=owner,
        company_id=owner.current_company_id,
        links=links,
        title=title,
        type=fields.pop("type", DocumentType.CONTRACT),
        folder=folder,
        **fields,
    )
    services.version_add(document=document, uploaded=file or pdf(), user=owner)
    return Document.objects.get(pk=document.pk)
