"""A document's links changed after filing: link to a partner, contact or activity the user
sees, unlink; a record the user does not see can neither be found, nor linked, nor unlinked;
only users who may change the document reach the page."""

import pytest
from django.urls import reverse

from documents.models import Document, DocumentLink, Folder, FolderGrant, Level
from tests.access import check_access

from .conftest import make_document, make_partner

pytestmark = pytest.mark.django_db

EDITORS = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


def links_of(document) -> set:
    return set(DocumentLink.objects.filter(document=document).values_list("object_id", flat=True))


def post(client, document, **data):
    return client.post(reverse("documents:links", args=[document.pk]), data, follow=True)


def test_who_reaches_the_links_page(org, client):
    folder = Folder.objects.create(company=org.company, name="Közös")
    FolderGrant.objects.create(folder=folder, user=org.peer, level=Level.READ)
    document = make_document(org.owner, folder=folder)
    outcome = check_access(
        client,
        org,
        reverse("documents:links", args=[document.pk]),
        allowed=EDITORS,
        denied_status=(403, 404),
    )
    assert outcome["peer"] == 403  # reads it, may not change it
    assert outcome["outsider"] == outcome["other_company_user"] == 404


def test_find_link_and_unlink_a_partner(org, client):
    document = make_document(org.owner)
    partner = make_partner(org.owner, name="Alföld-Gépészeti Kft.")
    make_partner(org.peer, name="Alföld Másik Kft.")  # the peer's: hidden from the owner
    client.force_login(org.owner)
    url = reverse("documents:links", args=[document.pk])
    page = client.get(url, {"kind": "partner", "q": "alföld"}).content.decode()
    assert "Alföld-Gépészeti Kft." in page and "Alföld Másik" not in page
    page = post(client, document, action="add", kind="partner", record=partner.pk)
    assert links_of(document) == {partner.pk}
    assert "Kapcsolva: „Alföld-Gépészeti Kft.”." in page.content.decode()
    # the document now shows on the partner's documents
    assert Document.objects.linked_to(partner).filter(pk=document.pk).exists()
    detail = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert "Alföld-Gépészeti Kft." in detail and 'data-testid="change-links"' in detail
    post(client, document, action="remove", kind="partner", record=partner.pk)
    assert links_of(document) == set()


def test_a_hidden_record_is_neither_linked_nor_unlinked(org, client):
    hidden = make_partner(org.peer, name="Titkos Partner Kft.")
    document = make_document(org.owner, links=[hidden])
    client.force_login(org.owner)
    page = client.get(reverse("documents:links", args=[document.pk])).content.decode()
    assert "Titkos Partner" not in page
    response = post(client, document, action="remove", kind="partner", record=hidden.pk)
    assert "A kapcsolandó rekord nem található." in response.content.decode()
    assert links_of(document) == {hidden.pk}
    other = make_partner(org.peer, name="Másik Titkos Kft.")
    post(client, document, action="add", kind="partner", record=other.pk)
    post(client, document, action="add", kind="nothing", record=other.pk)
    assert links_of(document) == {hidden.pk}


def test_a_refused_user_changes_no_link(org, client):
    partner = make_partner(org.peer, name="Társ Partnere Kft.")
    document = make_document(org.owner)
    for persona in ("peer", "outsider", "other_company_user"):
        client.force_login(org.users[persona])
        response = client.post(
            reverse("documents:links", args=[document.pk]),
            {"action": "add", "kind": "partner", "record": partner.pk},
        )
        assert response.status_code in (403, 404)
    assert links_of(document) == set()
