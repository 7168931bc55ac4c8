"""Full-text search: Hungarian word forms without accents find the words inside files, only
in documents the user sees; filters; a safe snippet; the global search box; constant queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents import search, services, texts
from documents.models import Document, DocumentType, DocumentVersion, Folder, FolderGrant, Level

from . import textfiles as tf
from .conftest import make_document, make_partner

pytestmark = pytest.mark.django_db

HIERARCHY = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


def filed(owner, text=tf.CONTRACT, *, data=None, name="szerződés.docx", **fields) -> Document:
    """A document with a file holding ``text``, its text read (as the worker would)."""
    document = make_document(owner, file=tf.upload(name, data or tf.docx_bytes(text)), **fields)
    texts.text_extract(version_id=document.current_version_id)
    return document


def found(user, text, filters=None) -> list[int]:
    query = search.text_query(text)
    if query is None:
        return []
    return [d.pk for d in search.ranked(user, query, filters)]


def test_a_word_inside_a_pdf_is_found_in_another_form_without_accents(org):
    document = filed(org.owner, data=tf.pdf_bytes(), name="Keretszerződés.pdf")
    for typed in ("kotbert", "kötbér", "KÖTBÉREK", "arvizturo tukorfurogepet"):
        assert found(org.owner, typed) == [document.pk], typed
    assert found(org.owner, "kötbérrel -szállítási") == []
    other = filed(org.owner, "A kötbérről és a határidőkről a melléklet szól.")
    for typed in ("kotbert", "határidő", "hataridovel"):  # endings the stemmer knows by accents
        assert other.pk in found(org.owner, typed), typed
    assert found(org.owner, "bérleti") == []


def test_only_the_documents_a_user_sees_are_found(org):
    document = filed(org.owner)
    seen = {name for name, user in org.users.items() if found(user, "kötbér")}
    assert seen == HIERARCHY
    assert found(org.superuser, "kötbér") == [document.pk]


def test_deleted_documents_are_not_found(org):
    document = filed(org.owner)
    services.document_delete(document=document, user=org.owner)
    assert found(org.owner, "kötbér") == []


def test_title_and_description_count_and_a_new_title_is_found_at_once(org):
    document = filed(org.owner, "semmi különös", title="Bérleti szerződés")
    other = filed(org.owner, "a bérleti díj havonta esedékes", title="Levél")
    assert found(org.owner, "berleti") == [document.pk, other.pk]  # the title weighs more
    Document.objects.filter(pk=document.pk).update(title="Adásvétel", description="raktár bérlet")
    assert found(org.owner, "adasvetel") == [document.pk]
    assert found(org.owner, "raktar") == [document.pk]


def test_filters_folder_type_date_and_partner(org):
    root = Folder.objects.create(company=org.company, name="Szerződések")
    child = Folder.objects.create(company=org.company, name="2026", parent=root)
    partner = make_partner(org.owner)
    in_child = filed(org.owner, folder=child, links=[partner])
    offer = filed(org.owner, type=DocumentType.OFFER)
    old = filed(org.owner)
    DocumentVersion.objects.filter(pk=old.current_version_id).update(
        uploaded_at=timezone.now() - datetime.timedelta(days=400)
    )
    assert found(org.owner, "kötbér", search.Filters(folder=root)) == [in_child.pk]
    assert found(org.owner, "kötbér", search.Filters(type=DocumentType.OFFER)) == [offer.pk]
    recent = search.Filters(date_from=timezone.localdate() - datetime.timedelta(days=30))
    assert sorted(found(org.owner, "kötbér", recent)) == sorted([in_child.pk, offer.pk])
    until = search.Filters(date_to=timezone.localdate() - datetime.timedelta(days=300))
    assert found(org.owner, "kötbér", until) == [old.pk]
    assert found(org.owner, "kötbér", search.Filters(partner=partner)) == [in_child.pk]


def test_the_page_shows_a_highlighted_snippet_with_the_text_escaped(org, client):
    filed(org.owner, "Ha a < b & c > d, <script>alert(1)</script> kötbér jár.", title="Ajánlat <b>")
    client.force_login(org.owner)
    page = client.get(reverse("documents:search"), {"q": "kotber"}).content.decode()
    assert "<mark>kötbér</mark>" in page
    assert "a &lt; b &amp; c &gt; d" in page
    assert "<script>alert" not in page and "Ajánlat &lt;b&gt;" in page


def test_the_page_filters_by_a_visible_partner_only(org, client):
    partner = make_partner(org.owner)
    filed(org.owner, links=[partner], title="Partneré")
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:search"), {"q": "kötbér", "partner": partner.pk})
    assert "Partneré" in page.content.decode()
    client.force_login(org.peer)  # does not see the partner: finds nothing, learns nothing
    page = client.get(reverse("documents:search"), {"q": "kötbér", "partner": partner.pk})
    assert page.status_code == 200 and partner.name not in page.content.decode()


def test_bad_input_gets_a_message_not_an_error(org, client):
    client.force_login(org.owner)
    for params in (
        {"q": "kötbér", "date_from": "2026-13-45"},
        {"q": "kötbér", "date_from": "2026-05-01", "date_to": "2026-01-01"},
        {"q": "kötbér", "folder": "999999", "page": "x"},
        {"q": "&|!():*'\"", "type": "nincs"},
        {"q": "a" * 5000},
    ):
        response = client.get(reverse("documents:search"), params)
        assert response.status_code == 200, params
    page = client.get(
        reverse("documents:search"), {"q": "x", "date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert 'role="alert"' in page.content.decode()


def test_the_page_needs_the_document_function(org, client):
    client.force_login(org.outsider)
    assert client.get(reverse("documents:search"), {"q": "kötbér"}).status_code == 403


def test_the_page_runs_the_same_queries_for_1_and_50_results(org, client):
    client.force_login(org.owner)
    folder = Folder.objects.create(company=org.company, name="Sok")
    FolderGrant.objects.create(folder=folder, user=org.owner, level=Level.READ)
    filed(org.owner, folder=folder)
    url = reverse("documents:search")
    params = {"q": "kötbér", "folder": folder.pk}
    client.get(url, params)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, params).content.decode().count('data-testid="search-hit"') == 1
    document = Document.objects.get(folder=folder)
    for number in range(49):
        copy = services.sibling_create(
            document=document, uploaded=tf.upload(f"{number}.docx", tf.docx_bytes()), user=org.owner
        )[0]
        texts.text_extract(version_id=copy.current_version_id)
    client.get(url, params)  # warm again: the top bar's own caches may have expired meanwhile
    with CaptureQueriesContext(connection) as fifty:
        page = client.get(url, params).content.decode()
    assert page.count('data-testid="search-hit"') == search.PAGE_SIZE
    assert 'rel="next"' in page
    assert len(fifty) == len(one), [q["sql"][:120] for q in fifty]
    second = client.get(url, {**params, "page": 3}).content.decode()
    assert second.count('data-testid="search-hit"') == 10 and 'rel="next"' not in second


def test_the_global_search_box_lists_visible_documents(org, client):
    document = filed(org.owner, title="Keretszerződés Alföld")
    client.force_login(org.owner)
    for typed in ("kötbérrel", "alföld kötb"):  # the last word as one types it: a prefix
        box = client.get(reverse("search"), {"q": typed}, HTTP_HX_REQUEST="true").content.decode()
        assert 'data-testid="search-section-documents"' in box, typed
        assert reverse("documents:detail", args=[document.pk]) in box
    assert reverse("documents:search") + "?q=alf%C3%B6ld%20k%C3%B6tb" in box
    client.force_login(org.peer)
    box = client.get(reverse("search"), {"q": "kötbér"}, HTTP_HX_REQUEST="true").content.decode()
    assert "search-section-documents" not in box and "Keretszerződés Alföld" not in box


def test_the_snippet_shows_the_passage_of_a_word_deep_in_a_long_text(org, client):
    filler = "Általános rendelkezések és fogalmak. " * 300  # about 11,000 characters
    filed(org.owner, filler + "A késedelmi kötbért külön melléklet szabályozza. " + filler)
    client.force_login(org.owner)
    page = client.get(reverse("documents:search"), {"q": "kötbérről"}).content.decode()
    assert "késedelmi <mark>kötbért</mark> külön" in page
    assert search.needle("-titok KÖTBÉRREL") == "kotbe"


def test_the_demo_has_contracts_found_by_words_inside(db):
    from django.core.management import call_command

    from crm.models import User

    call_command("load_demo")
    call_command("extract_document_texts", "--now")
    assert list(texts.pending_versions()) == []
    anna = User.objects.get(username="kovacs.anna")  # a rep: the contracts folder is granted
    titles = [Document.objects.get(pk=pk).title for pk in found(anna, "kötbérről")]
    assert any(title.startswith("Szállítási feltételek") for title in titles)
    assert found(anna, "jotallas")
    call_command("load_demo")  # once only
    assert Document.objects.filter(title__startswith="Szállítási feltételek").count() == 1
