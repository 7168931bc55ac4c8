"""Changing a document's details later: only by those who may, never over a newer save."""

import pytest
from django.urls import reverse

from documents.models import Document, Folder, FolderGrant, Level

from .conftest import make_document

pytestmark = pytest.mark.django_db


def test_the_owner_changes_the_details(org, client):
    document = make_document(org.owner)
    folder = Folder.objects.create(company=org.company, name="Aláírt szerződések")
    FolderGrant.objects.create(folder=folder, user=org.owner, level=Level.WRITE)
    client.force_login(org.owner)
    url = reverse("documents:edit", args=[document.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Keretszerződés (aláírt)",
            "type": "contract",
            "folder": folder.pk,
            "description": "Két példányban.",
            "tags": "aláírt, 2026, aláírt",
            "version": document.version,
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Keretszerződés (aláírt)" and document.folder == folder
    assert document.tags == ["aláírt", "2026"]


def test_a_stale_form_does_not_overwrite_a_newer_save(org, client):
    document = make_document(org.owner)
    stale = document.version
    Document.objects.filter(pk=document.pk).update(title="Újabb cím", version=stale + 1)
    client.force_login(org.owner)
    response = client.post(
        reverse("documents:edit", args=[document.pk]),
        {"title": "Régi űrlap", "type": "offer", "version": stale},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    document.refresh_from_db()
    assert document.title == "Újabb cím"


def test_edit_is_404_for_those_who_do_not_see_it_and_403_for_readers(org, client):
    folder = Folder.objects.create(company=org.company, name="Közös")
    FolderGrant.objects.create(folder=folder, user=org.peer, level=Level.READ)
    document = make_document(org.owner, folder=folder)
    url = reverse("documents:edit", args=[document.pk])
    for persona in ("other_company_user", "outsider"):
        client.force_login(org.users[persona])
        assert client.get(url).status_code == 404
    client.force_login(org.peer)
    assert client.get(url).status_code == 403
    response = client.post(url, {"title": "Nem az enyém", "type": "offer", "version": 1})
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.title == "Keretszerződés"


def test_the_audit_shows_only_documents_the_auditor_sees(org, client):
    seen = make_document(org.owner, title="Látható")
    hidden = make_document(org.second_supervisor, title="Rejtett")
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:audit"))
    ids = {e.document_id for e in page.context["events"]}
    assert seen.pk in ids and hidden.pk not in ids
