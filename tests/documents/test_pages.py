"""The document list (folders, filters, keyset pages, constant queries), the partner page's
Documents tab, the audit page with its export, and the menu entry."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.models import Action, DocumentEvent, Folder, FolderGrant, Level

from .conftest import make_document, make_partner, pdf

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_tab_and_detail_issue_the_same_queries_for_1_and_50_rows(org, client):
    partner = make_partner(org.owner)
    folder = Folder.objects.create(company=org.company, name="Ajánlatok")
    FolderGrant.objects.create(folder=folder, user=org.peer, level=Level.READ)
    first = make_document(org.owner, links=[partner], folder=folder)
    client.force_login(org.supervisor)
    urls = [
        reverse("documents:list"),
        reverse("documents:list") + f"?partner={partner.pk}",
        reverse("documents:list") + f"?folder={folder.pk}&type=contract",
        reverse("partners:detail", args=[partner.pk]) + "?tab=documents",
    ]
    one = [count_queries(client, url) for url in urls]
    for n in range(49):
        make_document(
            org.owner if n % 2 else org.peer,
            title=f"Dokumentum {n}",
            links=[partner],
            folder=folder,
            file=pdf(f"d{n}.pdf", f"% {n}\n".encode()),
        )
    client.force_login(org.supervisor)
    assert [count_queries(client, url) for url in urls] == one
    page = client.get(urls[0])
    assert len(page.context["documents"]) == 50 and page.context["next_url"] is None
    assert first.pk in [d.pk for d in page.context["documents"]]


def test_keyset_pages_walk_every_document_once(org, client, settings):
    from documents import views

    settings.DEBUG = False
    for n in range(7):
        make_document(org.owner, title=f"D{n}", file=pdf(f"{n}.pdf", f"%{n}\n".encode()))
    client.force_login(org.owner)
    old = views.PAGE_SIZE
    views.PAGE_SIZE = 3
    try:
        seen, url = [], reverse("documents:list")
        while url:
            page = client.get(url)
            seen += [d.title for d in page.context["documents"]]
            url = page.context["next_url"] and reverse("documents:list") + page.context["next_url"]
    finally:
        views.PAGE_SIZE = old
    assert seen == [f"D{n}" for n in reversed(range(7))]


def test_folder_filter_includes_subfolders_and_the_tree_shows_granted_folders(org, client):
    root = Folder.objects.create(company=org.company, name="Termékek")
    child = Folder.objects.create(company=org.company, name="Lapok", parent=root)
    hidden = Folder.objects.create(company=org.company, name="Titkos")
    FolderGrant.objects.create(folder=root, user=org.peer, level=Level.READ)
    make_document(org.boss, title="Termékismertető", folder=child)
    make_document(org.boss, title="Titkos irat", folder=hidden)
    client.force_login(org.peer)
    page = client.get(reverse("documents:list") + f"?folder={root.pk}").content.decode()
    assert "Termékismertető" in page and "Titkos" not in page
    assert "Lapok" in page


def test_the_partner_tab_lists_its_visible_documents_with_an_attach_button(org, client):
    partner = make_partner(org.owner)
    make_document(org.owner, title="Keretszerződés 2026", links=[partner])
    make_document(org.owner, title="Más partneré")
    client.force_login(org.owner)
    page = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=documents")
    text = page.content.decode()
    assert 'data-testid="tab-documents"' in text
    assert "Keretszerződés 2026" in text and "Más partneré" not in text
    assert f"/documents/new/?partner={partner.pk}" in text


def test_the_menu_has_documents(org, client):
    client.force_login(org.owner)
    page = client.get(reverse("documents:list")).content.decode()
    assert reverse("documents:list") in page


def test_audit_page_filters_and_exports_neutralised_cells(org, client, settings):
    from openpyxl import load_workbook

    document = make_document(org.owner, title='=HYPERLINK("http://x")')
    client.force_login(org.owner)
    client.get(reverse("documents:download", args=[document.pk]), REMOTE_ADDR="10.9.8.7")
    assert client.get(reverse("documents:audit")).status_code == 403  # reps do not audit
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:audit"), {"action": Action.DOWNLOAD})
    assert page.status_code == 200
    assert [e.action for e in page.context["events"]] == [Action.DOWNLOAD]
    assert "10.9.8.7" in page.content.decode()
    response = client.get(reverse("documents:audit-export"), {"action": Action.DOWNLOAD})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][3] == '\'=HYPERLINK("http://x")' and rows[1][6] == "10.9.8.7"
    # another company's audit is not there
    client.force_login(org.other_company_user)
    page = client.get(reverse("documents:audit"))
    assert page.status_code == 200 and list(page.context["events"]) == []
    assert DocumentEvent.objects.count() >= 2


def test_the_contact_page_lists_its_documents_with_an_attach_button(org, client):
    from tests.partners.conftest import make_contact

    partner = make_partner(org.owner)
    contact = make_contact(partner)
    make_document(org.boss, title="Névjegy-melléklet", links=[contact])
    client.force_login(org.owner)
    page = client.get(reverse("partners:contact-detail", args=[contact.pk])).content.decode()
    assert 'data-testid="section-documents"' in page and "Névjegy-melléklet" in page
    assert f"/documents/new/?contact={contact.pk}" in page
    client.force_login(org.peer)
    assert client.get(reverse("partners:contact-detail", args=[contact.pk])).status_code == 404


def test_the_demo_has_folders_and_signed_contracts_the_reps_see(db, media):
    from django.core.management import call_command

    from crm.models import User
    from documents.models import Document

    call_command("load_demo")
    anna = User.objects.get(username="kovacs.anna")
    mine = Document.objects.visible_to(anna)
    assert mine.filter(type="contract", current_version__mime="application/pdf").exists()
    assert mine.filter(title="Árlista 2026").exists()  # the collateral folder's grant
    assert Folder.objects.writable_by(anna).filter(name="Szerződések").exists()
    assert not Folder.objects.writable_by(anna).filter(is_collateral=True).exists()
    call_command("load_demo")  # once only
    assert Folder.objects.count() == 3  # with the generator's templates folder (Sablonok)
