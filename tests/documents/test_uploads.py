"""Upload safety: the type by content, ZIP bombs, empty files, names, the size limit, the same
file twice, and a failed upload leaving nothing behind."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents import services, uploads
from documents.models import Document, DocumentVersion

from . import ole
from .conftest import PDF, docx_bytes, make_document, office_zip, pdf, stored_files

pytestmark = pytest.mark.django_db

NOT_ALLOWED = "Ilyen fájlt nem lehet tárolni"


def upload(client, document, file, **query):
    url = reverse("documents:upload", args=[document.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"file": file}, HTTP_ACCEPT="application/json")


def fresh(owner, **fields):
    return services.document_create(
        user=owner, company_id=owner.current_company_id, title="", type="contract", **fields
    )


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("a.pdf", PDF, uploads.PDF),
        ("a.docx", docx_bytes(), uploads.DOCX),
        (
            "a.xlsx",
            office_zip({"[Content_Types].xml": b"<T/>", "xl/workbook.xml": b"<w/>"}),
            uploads.XLSX,
        ),
        (
            "a.odt",
            office_zip({"mimetype": uploads.ODT.encode(), "content.xml": b"<x/>"}),
            uploads.ODT,
        ),
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, uploads.PNG),
        ("a.jpg", b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 40, uploads.JPEG),
        ("a.doc", ole.doc(), uploads.DOC),
        ("árlista.csv", "Termék;Ár\nCsavar;12,5\n".encode(), uploads.CSV),
        ("jegyzet.txt", "Árvíztűrő tükörfúrógép".encode("cp1250"), uploads.TXT),
    ],
)
def test_allowed_types_are_known_by_their_content(name, content, mime):
    checked = uploads.check(SimpleUploadedFile(name, content))
    assert checked.mime == mime


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("szerződés.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 200, "Programot nem lehet"),
        ("riport.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 200, "Programot nem lehet"),
        ("setup.doc.pdf", b"#!/bin/sh\nrm -rf /\n", "Programot nem lehet"),
        ("oldal.txt", b"<!DOCTYPE html><script>alert(1)</script>", NOT_ALLOWED),
        ("kep.pdf", b'<?xml version="1.0"?><svg onload="alert(1)"/>', NOT_ALLOWED),
        ("csomag.docx", office_zip({"a.txt": b"hello"}), "nem DOCX"),
        ("telepito.doc", ole.msi(), "Programot nem lehet"),  # an installer, renamed
        ("ures.pdf", b"", "A fájl üres."),
    ],
)
def test_refused_files(name, content, says):
    with pytest.raises(ValidationError) as error:
        uploads.check(SimpleUploadedFile(name, content))
    assert says in " ".join(error.value.messages)


def test_a_zip_bomb_is_refused_from_its_directory(settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<T/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError) as error:
        uploads.check(SimpleUploadedFile("bomba.docx", bomb))
    assert "ZIP-bomba" in " ".join(error.value.messages)
    settings.DOCUMENTS_ZIP_MAX_RATIO = 100_000
    settings.DOCUMENTS_ZIP_MAX_UNCOMPRESSED = 4 * 1024 * 1024
    with pytest.raises(ValidationError) as error:
        uploads.check(SimpleUploadedFile("bomba.docx", bomb))
    assert "ZIP-bomba" in " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Szerződés ő ű.pdf", "Szerződés ő ű.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("ÁRVÍZTŰRŐ\x00tükör\x1b[31m.pdf", "ÁRVÍZTŰRŐtükör[31m.pdf"),
        ("sor\r\ntörés\t.pdf", "sor törés .pdf"),
        ("jobbról\u202egfp.exe", "jobbrólgfp.exe"),
        ("..", "file"),
        ("Szerzo\u030bde\u0301s.pdf", "Szerződés.pdf"),
    ],
)
def test_names_lose_paths_and_control_characters_but_keep_hungarian_letters(raw, clean):
    assert uploads.clean_name(raw) == clean


def test_upload_stores_the_file_under_a_safe_path_and_keeps_the_name(org, client, media):
    document = fresh(org.owner)
    client.force_login(org.owner)
    response = upload(client, document, pdf("../../Szerződés ő ű.pdf"))
    assert response.status_code == 200, response.content
    assert response.json()["ok"]
    version = DocumentVersion.objects.get(document=document)
    assert version.original_name == "Szerződés ő ű.pdf"
    assert version.file.name.startswith(f"documents/{org.company.pk}/")
    assert ".." not in version.file.name and "Szerz" not in version.file.name
    assert version.size == len(PDF) and version.mime == "application/pdf"
    import hashlib

    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    document.refresh_from_db()
    assert document.title == "Szerződés ő ű" and document.current_version == version
    assert len(stored_files(media)) == 1


def test_a_renamed_executable_is_refused_and_nothing_is_registered(org, client, media):
    document = fresh(org.owner)
    client.force_login(org.owner)
    response = upload(client, document, SimpleUploadedFile("szamla.pdf", b"MZ" + b"\0" * 500))
    assert response.status_code == 400
    assert "Programot nem lehet" in response.json()["error"]
    assert not DocumentVersion.objects.exists() and stored_files(media) == []


def test_over_the_size_limit_a_clear_message_and_nothing_half_registered(
    org, client, media, settings
):
    settings.DOCUMENTS_MAX_UPLOAD_BYTES = 100 * 1024
    document = fresh(org.owner)
    client.force_login(org.owner)
    response = upload(client, document, pdf(body=b"0" * (300 * 1024)))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error.startswith("A fájl nagyobb a megengedett 100") and "KB méretnél." in error
    # within the request's margin for the form's other parts: cut while it is read
    response = upload(client, document, pdf(body=b"0" * (110 * 1024)))
    assert response.status_code == 413 and response.json()["error"] == error
    assert not DocumentVersion.objects.exists() and stored_files(media) == []
    # the page tells the limit before anything is sent
    page = client.get(reverse("documents:files", args=[document.pk])).content.decode()
    assert 'data-max-bytes="102400"' in page


def test_the_same_file_twice_is_warned_about(org, client):
    first = make_document(org.owner, title="Első")
    document = fresh(org.owner)
    client.force_login(org.owner)
    answer = upload(client, document, pdf()).json()
    assert answer["ok"] and "„Első”" in answer["warning"]
    other = fresh(org.owner)
    answer = upload(client, other, pdf(body=b"% other\n")).json()
    assert answer["ok"] and answer["warning"] == ""
    assert first.pk != document.pk


def test_several_files_become_documents_with_the_same_details(org, client):
    from .conftest import make_partner

    partner = make_partner(org.owner)
    document = services.document_create(
        user=org.owner,
        company_id=org.company.pk,
        links=[partner],
        title="Ajánlat",
        type="offer",
        tags=["2026"],
    )
    client.force_login(org.owner)
    assert upload(client, document, pdf("ajanlat.pdf")).json()["ok"]
    answer = upload(client, document, pdf("melleklet.pdf", b"%m\n"), sibling=1).json()
    assert answer["ok"] and answer["title"] == "melleklet"
    sibling = Document.objects.get(title="melleklet")
    assert sibling.type == "offer" and sibling.tags == ["2026"]
    assert set(sibling.links.values_list("object_id", flat=True)) == {partner.pk}
    assert Document.objects.visible_to(org.owner).linked_to(partner).count() == 2


def test_a_storage_failure_leaves_nothing_behind(org, media, monkeypatch):
    """The file is written, then the row fails: the file is removed again."""
    document = fresh(org.owner)

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(DocumentVersion, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.version_add(document=document, uploaded=pdf(), user=org.owner)
    assert stored_files(media) == []
    document.refresh_from_db()
    assert document.current_version is None


def test_a_file_of_a_rolled_back_transaction_is_removed(org, media):
    from django.db import transaction

    document = fresh(org.owner)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.version_add(document=document, uploaded=pdf(), user=org.owner)
        assert len(stored_files(media)) == 1
        raise Abort
    assert not DocumentVersion.objects.exists()
    # A rollback of someone else's transaction cannot be seen from inside: the sweep of
    # files that no version names removes it (run daily; here without the hour of grace).
    kept = make_document(org.owner, title="Megmarad")
    assert len(stored_files(media)) == 2
    assert services.orphan_files_sweep(older_than=datetime.timedelta(0)) == 1
    assert stored_files(media) == [media / kept.current_version.file.name]


def test_the_sweep_leaves_young_files_alone(org, media):
    from django.db import transaction

    document = fresh(org.owner)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.version_add(document=document, uploaded=pdf(), user=org.owner)
        1 / 0  # noqa: B018
    assert services.orphan_files_sweep() == 0
    assert len(stored_files(media)) == 1


def test_a_body_without_a_length_is_cut_at_the_limit(settings, rf):
    """A chunked upload (no Content-Length) stops being read once it passes the limit."""
    from django.core.files.uploadhandler import StopUpload

    settings.DOCUMENTS_MAX_UPLOAD_BYTES = 1000
    request = rf.post("/")
    handler = uploads.LimitedUploadHandler(request)
    handler.new_file("file", "nagy.pdf", "application/pdf", None)
    handler.receive_data_chunk(b"x" * 600, 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 600, 600)
    assert request.documents_too_big
