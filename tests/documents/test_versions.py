"""Versions, restoring an old one, the check-out lock, and downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Action, DocumentEvent

from .conftest import PDF, make_document, pdf

pytestmark = pytest.mark.django_db


def new_version(client, document, file):
    return client.post(reverse("documents:upload", args=[document.pk]), {"file": file})


def test_a_new_version_then_restoring_the_first(org, client):
    document = make_document(org.owner)
    client.force_login(org.owner)
    response = new_version(client, document, pdf("Szerződés v2.pdf", b"% v2\n"))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.current_version.number == 2
    page = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert "Szerződés v2.pdf" in page and "Tulaj Olga" in page
    response = client.post(reverse("documents:restore-version", args=[document.pk, 1]))
    assert response.status_code == 302
    document.refresh_from_db()
    current = document.current_version
    assert current.number == 3 and current.restored_from.number == 1
    assert current.sha256 == document.versions.get(number=1).sha256
    assert current.file.name != document.versions.get(number=1).file.name
    with current.file.open("rb") as handle:
        assert handle.read() == PDF
    actions = list(
        DocumentEvent.objects.filter(document_id=document.pk)
        .exclude(action=Action.VIEW)
        .order_by("id")
        .values_list("action", "version_number")
    )
    assert actions == [(Action.UPLOAD, 1), (Action.NEW_VERSION, 2), (Action.RESTORE, 3)]


def test_checked_out_by_someone_else_new_versions_are_refused_naming_who(org, client):
    document = make_document(org.owner)
    client.force_login(org.supervisor)
    assert client.post(reverse("documents:check-out", args=[document.pk])).status_code == 302
    document.refresh_from_db()
    assert document.checked_out_by == org.supervisor
    client.force_login(org.owner)
    response = new_version(client, document, pdf("uj.pdf", b"% uj\n"))
    follow = client.get(response["Location"]).content.decode()
    assert "A dokumentumot Fő Ferenc kivette" in follow
    assert document.versions.count() == 1
    response = client.post(
        reverse("documents:upload", args=[document.pk]),
        {"file": pdf("uj.pdf", b"% uj\n")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "Fő Ferenc" in response.json()["error"]
    # nor restore, nor check in for them
    client.post(reverse("documents:restore-version", args=[document.pk, 1]))
    client.post(reverse("documents:check-in", args=[document.pk]))
    document.refresh_from_db()
    assert document.versions.count() == 1 and document.checked_out_by == org.supervisor
    # the holder uploads, then checks in; then the owner may again
    client.force_login(org.supervisor)
    assert new_version(client, document, pdf("v2.pdf", b"% v2\n")).status_code == 302
    client.post(reverse("documents:check-in", args=[document.pk]))
    client.force_login(org.owner)
    new_version(client, document, pdf("v3.pdf", b"% v3\n"))
    document.refresh_from_db()
    assert document.checked_out_by is None and document.current_version.number == 3


def test_download_is_an_attachment_with_a_hungarian_name_and_a_sandbox(org, client):
    document = make_document(org.owner, file=pdf("Szerződés ő ű.pdf"))
    client.force_login(org.supervisor)
    response = client.get(reverse("documents:download", args=[document.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Szerz%C5%91d%C3%A9s%20%C5%91%20%C5%B1.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Type"] == "application/pdf"
    event = DocumentEvent.objects.filter(action=Action.DOWNLOAD).get()
    assert (event.user, event.ip_address, event.version_number) == (org.supervisor, "10.1.2.3", 1)


def test_an_old_version_downloads_too(org, client):
    document = make_document(org.owner, file=SimpleUploadedFile("elso.txt", b"elso\n"))
    client.force_login(org.owner)
    new_version(client, document, SimpleUploadedFile("masodik.txt", b"masodik\n"))
    response = client.get(reverse("documents:download-version", args=[document.pk, 1]))
    assert b"".join(response.streaming_content) == b"elso\n"
    assert response["Content-Type"] == "text/plain"
    missing = reverse("documents:download-version", args=[document.pk, 9])
    assert client.get(missing).status_code == 404
