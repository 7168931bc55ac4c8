"""Text out of every stored format, and files whose text cannot be read: kept, marked with the
reason the user sees."""

import io

import pytest
from django.urls import reverse

from documents import extraction, services, texts, uploads
from documents.models import DocumentVersion, TextState
from documents.text_models import DocumentText

from . import textfiles as tf
from .conftest import make_document

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mime", "data", "expected"),
    [
        (uploads.PDF, lambda: tf.pdf_bytes(), ["kötbérrel", "Árvíztűrő tükörfúrógép"]),
        (uploads.DOCX, lambda: tf.docx_bytes(), ["kötbérrel", "Határidő 2026. 11. 22."]),
        (uploads.XLSX, lambda: tf.xlsx_bytes(), ["Árlista", "kötbérrel", "125000"]),
        (uploads.ODT, lambda: tf.odt_bytes(), ["Jegyzőkönyv", "kötbérrel"]),
        (
            uploads.DOC,
            lambda: tf.committed("szerzodes.doc"),
            ["kötbért", "Árvíztűrő tükörfúrógép", "ŐŰ őű"],
        ),
        (uploads.XLS, lambda: tf.committed("arlista.xls"), ["Tükörfúrógép 125000", "kesztyű"]),
        (uploads.TXT, lambda: "Szerződés ő ű".encode("cp1250"), ["Szerződés ő ű"]),
    ],
)
def test_the_text_of_every_format_is_read(mime, data, expected):
    text = extraction.extract(io.BytesIO(data()), mime)
    for words in expected:
        assert words in " ".join(text.split()), text


def test_encrypted_damaged_and_image_files():
    with pytest.raises(extraction.Unreadable, match="password"):
        extraction.extract(io.BytesIO(tf.encrypted_pdf_bytes()), uploads.PDF)
    with pytest.raises(extraction.Unreadable, match="damaged"):
        extraction.extract(io.BytesIO(tf.pdf_bytes()[:300]), uploads.PDF)
    with pytest.raises(extraction.Unreadable, match="damaged"):
        extraction.extract(io.BytesIO(tf.docx_bytes()[:500]), uploads.DOCX)
    with pytest.raises(extraction.Unreadable, match="damaged"):
        extraction.extract(
            io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), uploads.DOC
        )
    with pytest.raises(extraction.Skipped):
        extraction.extract(io.BytesIO(b"\x89PNG\r\n"), uploads.PNG)


def test_text_is_capped_and_cleaned(settings):
    settings.DOCUMENTS_TEXT_MAX_CHARS = 50
    text = extraction.extract(io.BytesIO(("szó\x00 \ue000" * 100).encode()), uploads.TXT)
    assert len(text) == 50 and "\x00" not in text and "\ue000" not in text


def test_a_new_version_is_queued_after_commit_and_read(
    org, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from crm.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            document = make_document(org.owner, file=tf.upload("ajánlat.docx", tf.docx_bytes()))
    finally:
        app.conf.task_always_eager = False
    version = document.current_version
    version.refresh_from_db()
    assert version.text_state == TextState.DONE
    row = DocumentText.objects.get(document=document)
    assert row.version_id == version.pk and "kötbérrel" in row.body


def test_an_encrypted_pdf_is_kept_and_its_reason_shown(org, client):
    document = make_document(org.owner, file=tf.upload("titkos.pdf", tf.encrypted_pdf_bytes()))
    assert texts.text_extract(version_id=document.current_version_id) == TextState.FAILED
    version = DocumentVersion.objects.get(pk=document.current_version_id)
    assert version.text_error == "The PDF is protected by a password."
    assert version.file.size > 0  # the file is kept
    client.force_login(org.owner)
    page = client.get(reverse("documents:detail", args=[document.pk]), HTTP_ACCEPT_LANGUAGE="hu")
    assert "jelszó" in page.content.decode()


def test_reading_twice_changes_nothing_and_an_old_version_never_overwrites(org):
    document = make_document(org.owner, file=tf.upload("v1.docx", tf.docx_bytes("első változat")))
    first = document.current_version_id
    assert texts.text_extract(version_id=first) == TextState.DONE
    assert texts.text_extract(version_id=first) == TextState.DONE
    services.version_add(
        document=document, uploaded=tf.upload("v2.docx", tf.docx_bytes("második")), user=org.owner
    )
    document.refresh_from_db()
    texts.text_extract(version_id=document.current_version_id)
    DocumentVersion.objects.filter(pk=first).update(text_state=TextState.PENDING)
    texts.text_extract(version_id=first)  # late: the old version's task after the new one's
    row = DocumentText.objects.get(document=document)
    assert row.version_id == document.current_version_id and "második" in row.body
    assert list(texts.pending_versions()) == []


def test_a_restored_version_gets_its_text_back(org):
    document = make_document(org.owner, file=tf.upload("v1.docx", tf.docx_bytes("eredeti")))
    texts.text_extract(version_id=document.current_version_id)
    old = document.current_version
    services.version_add(
        document=document,
        uploaded=tf.upload("v2.docx", tf.docx_bytes("módosított")),
        user=org.owner,
    )
    copy = services.version_restore(document=document, version=old, user=org.owner)
    assert list(texts.pending_versions()) == [copy]
    texts.text_extract(version_id=copy.pk)
    assert "eredeti" in DocumentText.objects.get(document=document).body
