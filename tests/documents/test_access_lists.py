""" "Not yours" on the documents' list pages that the per-record tests do not reach: the trash
and its restore for another company's administrator, the audit page and its XLSX export for a
manager outside the owner's line and for another company, and the templates list."""

import io

import pytest
from django.urls import reverse

from documents import services
from documents.generator_models import Pack, PackItem
from documents.models import Action, Folder, FolderGrant, Level
from tests.access import member
from tests.factories import UserFactory

from .conftest import make_document
from .generator_kit import CONTRACT_HTML, make_template

pytestmark = pytest.mark.django_db


def export_titles(client) -> list:
    from openpyxl import load_workbook

    response = client.get(reverse("documents:audit-export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [row[3] for row in list(book.active.iter_rows(values_only=True))[1:]]


def test_another_companys_admin_neither_sees_nor_restores_the_trash(org, client):
    document = make_document(org.owner, title="Törölt szerződés")
    services.document_delete(document=document, user=org.owner)
    admin = member(UserFactory(username="admin.mas"), org.other_company, "administrator")
    client.force_login(admin)
    page = client.get(reverse("documents:trash"))
    assert page.status_code == 200 and "Törölt szerződés" not in page.content.decode()
    assert client.post(reverse("documents:undelete", args=[document.pk])).status_code == 404
    document.refresh_from_db()
    assert document.deleted_at is not None


def test_the_audit_shows_only_the_events_of_documents_the_manager_sees(org, client):
    document = make_document(org.peer, title="Társ szerződése")  # the supervisor's line only
    client.force_login(org.peer)
    client.get(reverse("documents:download", args=[document.pk]))
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:audit"), {"action": Action.DOWNLOAD})
    assert [e.document_id for e in page.context["events"]] == [document.pk]
    assert export_titles(client) != []
    for persona in ("second_supervisor", "other_company_user"):
        client.force_login(org.users[persona])
        page = client.get(reverse("documents:audit"))
        assert page.status_code == 200, persona
        assert list(page.context["events"]) == [], persona
        assert "Társ szerződése" not in page.content.decode(), persona
        assert export_titles(client) == [], persona


def test_the_templates_list_shows_only_readable_templates(org, client):
    folder = Folder.objects.create(company=org.company, name="Sablonok")
    FolderGrant.objects.create(folder=folder, user=org.owner, level=Level.READ)
    template = make_template(
        org.boss, "Titkos szerződés", "szerzodes.html", CONTRACT_HTML, folder=folder
    )
    pack = Pack.objects.create(company=org.company, name="Titkos csomag")
    PackItem.objects.create(pack=pack, template=template, order=0)
    client.force_login(org.owner)
    assert "Titkos szerződés" in client.get(reverse("documents:templates")).content.decode()
    for persona in ("peer", "other_company_user"):
        client.force_login(org.users[persona])
        response = client.get(reverse("documents:templates"))
        assert response.status_code == 200, persona
        page = response.content.decode()
        assert "Titkos szerződés" not in page and "Titkos csomag" not in page, persona
    client.force_login(org.outsider)
    assert client.get(reverse("documents:templates")).status_code in (403, 404)
