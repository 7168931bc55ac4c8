"""Issue 24's bad input through the upload page, on a document that already has a file: a
damaged PDF is kept and marked unsearchable in Hungarian; a ZIP bomb, an empty file and a
renamed executable sent as a new version are refused with a clear message and the stored
version stays current and whole; a name with a path and control characters is cleaned."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document, DocumentVersion, TextState
from tests.documents import textfiles as tf

from .conftest import make_document, stored_files
from .test_uploads import upload

pytestmark = pytest.mark.django_db


def bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<T/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    return buffer.getvalue()


def test_a_damaged_pdf_is_kept_and_marked_with_the_reason(
    org, client, media, eager, django_capture_on_commit_callbacks
):
    document = make_document(org.owner, file=tf.upload("régi.pdf", tf.pdf_bytes()))
    client.force_login(org.owner)
    damaged = tf.pdf_bytes()[:300]
    with django_capture_on_commit_callbacks(execute=True):  # the text is read after the commit
        response = upload(client, document, SimpleUploadedFile("sérült.pdf", damaged))
    assert response.status_code == 200 and response.json()["ok"]
    document.refresh_from_db()
    version = DocumentVersion.objects.get(pk=document.current_version_id)
    assert version.number == 2 and version.text_state == TextState.FAILED
    with version.file.open("rb") as handle:
        assert handle.read() == damaged  # kept as it came
    page = client.get(document.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    assert "Nem kereshető:" in page and "A PDF sérült" in page


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("bomba.docx", bomb(), "ZIP-bomba"),
        ("ures.pdf", b"", "A fájl üres."),
        ("szerzodes_v2.pdf", b"MZ\x90\x00" + b"\0" * 500, "Programot nem lehet"),
    ],
)
def test_a_refused_new_version_loses_nothing_already_stored(
    org, client, media, name, content, says
):
    document = make_document(org.owner, file=tf.upload("aláírt.pdf", tf.pdf_bytes()))
    before = stored_files(media)
    client.force_login(org.owner)
    response = upload(client, document, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert says in response.json()["error"]
    document = Document.objects.get(pk=document.pk)
    assert document.versions.count() == 1
    assert document.current_version.original_name == "aláírt.pdf"
    with document.current_version.file.open("rb") as handle:
        assert handle.read() == tf.pdf_bytes()
    assert stored_files(media) == before
    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 200


def test_a_name_with_a_path_and_control_characters_is_cleaned_on_upload(org, client, media):
    document = make_document(org.owner)
    client.force_login(org.owner)
    name = "../../Szerződés\x1b[31m ő\x07ű.pdf"
    response = upload(client, document, SimpleUploadedFile(name, tf.pdf_bytes()))
    assert response.status_code == 200, response.content
    version = Document.objects.get(pk=document.pk).current_version
    assert version.original_name == "Szerződés[31m őű.pdf"
    assert ".." not in version.file.name
