"""The generator's screens as every persona: only records the user sees (404 otherwise), only
templates they may read (404), only with the function to add documents (403); a bad template or
bad values are a message on the page, nothing stored, never a 500."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.groups import DEFAULT_GROUPS
from documents.generator_models import FieldKind, Generation, Pack, PackField, PackItem
from documents.models import Document, FolderGrant, Level
from tests.access import check_access

from .conftest import make_partner
from .generator_kit import (
    CONTRACT_HTML,
    docx_file,
    english,  # noqa: F401 - a fixture
    make_template,
    templates_folder,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# who sees the owner's partner and can generate (the superuser has no own company here)
GENERATORS = {"owner", "supervisor", "second_supervisor", "boss"}


@pytest.fixture
def shared_folder(org):
    """The templates folder, readable by every sales rep and manager of the company."""
    folder = templates_folder(org.company)
    for key in ("sales_rep", "sales_manager"):
        FolderGrant.objects.create(
            folder=folder, group=Group.objects.get(name=DEFAULT_GROUPS[key]), level=Level.READ
        )
    return folder


@pytest.fixture
def setup(org, shared_folder):
    partner = make_partner(org.owner, name="Ősi Űrhajó Kft.")
    template = make_template(
        org.boss, "Szerződés", "szerzodes.html", CONTRACT_HTML, folder=shared_folder
    )
    return partner, template


def generate_url(partner, **extra):
    query = "&".join([f"partner={partner.pk}", *(f"{k}={v}" for k, v in extra.items())])
    return reverse("documents:generate") + "?" + query


def test_the_generate_page_only_for_those_who_see_the_partner(org, client, setup):
    partner, template = setup
    # the other company's finance manager sees every partner (the shared master), so may
    # choose among their own company's templates, but not use this company's template
    choose = GENERATORS | {"other_company_user"}
    check_access(client, org, generate_url(partner), allowed=choose, denied_status=(403, 404))
    url = generate_url(partner, template=template.pk)
    check_access(client, org, url, allowed=GENERATORS, denied_status=(403, 404))


def test_generating_as_every_persona_stores_only_for_the_allowed(org, client, setup):
    partner, template = setup
    url = generate_url(partner, template=template.pk)
    before = Document.objects.count()
    outcome = check_access(
        client, org, url, method="post", allowed=GENERATORS, denied_status=(403, 404)
    )
    assert all(outcome[p] == 302 for p in GENERATORS)
    made = Generation.objects.filter(object_id=partner.pk)
    assert Document.objects.count() == before + len(GENERATORS) == before + made.count()
    assert {g.created_by.username for g in made} == GENERATORS


def test_a_template_the_user_may_not_read_is_404_even_on_their_partner(org, client, setup):
    partner, _template = setup
    hidden = make_template(org.peer, "Titkos", "titkos.html", "<p>{{ partner.name }}</p>")
    client.force_login(org.owner)
    assert client.get(generate_url(partner, template=hidden.pk)).status_code == 404
    assert client.post(generate_url(partner, template=hidden.pk)).status_code == 404
    assert client.get(reverse("documents:template", args=[hidden.pk])).status_code == 404
    listed = client.get(generate_url(partner)).content.decode()
    assert "Szerződés" in listed and "Titkos" not in listed


def test_the_result_page_shows_only_documents_the_user_sees(org, client, setup):
    partner, template = setup
    client.force_login(org.owner)
    response = client.post(generate_url(partner, template=template.pk))
    result = response["Location"]
    page = client.get(result)
    assert page.status_code == 200 and "Szerződés – Ősi Űrhajó Kft." in page.content.decode()
    client.force_login(org.peer)
    assert client.get(result).status_code == 404


def test_the_template_page_lists_variables_and_the_problems(org, client, shared_folder):
    bad = make_template(
        org.boss,
        "Rossz levél",
        "rossz.docx",
        docx_file(["Tisztelt {{ partner.name }}!", "{{ partner.nmae }}"]),
        folder=shared_folder,
    )
    check_access(
        client,
        org,
        reverse("documents:template", args=[bad.pk]),
        allowed={"owner", "peer", "supervisor", "second_supervisor", "boss", "superuser"},
        denied_status=(403, 404),
    )
    client.force_login(org.owner)
    page = client.get(reverse("documents:template", args=[bad.pk])).content.decode()
    assert "partner.nmae" in page and "paragraph 2" in page
    for name in ("partner.tax_number", "contact_of_type.penzugyi.name", "today.date", "owner.name"):
        assert name in page


def test_generating_from_a_bad_template_is_a_message_and_stores_nothing(org, client, setup):
    partner, _template = setup
    bad = make_template(
        org.owner, "Rossz", "rossz.html", "<p>\n\n{% if partner.name %}</p>", folder=None
    )
    client.force_login(org.owner)
    before = Document.objects.count()
    response = client.post(generate_url(partner, template=bad.pk))
    assert response.status_code == 400
    assert "line 3" in response.content.decode() and "Syntax error" in response.content.decode()
    assert Document.objects.count() == before


def test_a_new_template_is_stored_in_the_folder_and_its_problems_shown(org, client, shared_folder):
    FolderGrant.objects.create(folder=shared_folder, user=org.supervisor, level=Level.WRITE)
    client.force_login(org.supervisor)
    url = reverse("documents:template-create")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Ajánlat",
            "folder": shared_folder.pk,
            "output_type": "offer",
            "file": SimpleUploadedFile("ajanlat.html", b"<p>{{ partner.nev }}</p>"),
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "partner.nev" in page and "line 1" in page
    refused = client.post(
        url,
        {
            "name": "Program",
            "folder": shared_folder.pk,
            "output_type": "offer",
            "file": SimpleUploadedFile("a.docx", b"MZ\x90\x00program"),
        },
    )
    assert refused.status_code == 200 and "program" in refused.content.decode().lower()
    client.force_login(org.owner)  # a rep may not add templates
    assert client.get(url).status_code == 403


def test_a_pack_asks_its_values_once_and_refuses_bad_ones(org, client, setup, shared_folder):
    partner, template = setup
    letter = make_template(
        org.boss,
        "Kísérőlevél",
        "level.docx",
        docx_file(["{{ partner.name }}: {{ shared.value }}"]),
        folder=shared_folder,
    )
    pack = Pack.objects.create(company=org.company, name="Szerződéscsomag")
    PackItem.objects.create(pack=pack, template=template, order=1)
    PackItem.objects.create(pack=pack, template=letter, order=2)
    PackField.objects.create(pack=pack, key="value", label="Érték", kind=FieldKind.AMOUNT)
    PackField.objects.create(pack=pack, key="start", label="Kezdés", kind=FieldKind.DATE)
    url = generate_url(partner, pack=pack.pk)
    check_access(client, org, url, allowed=GENERATORS, denied_status=(403, 404))
    client.force_login(org.owner)
    before = Document.objects.count()
    bad = client.post(url, {"shared_value": "12,5", "shared_start": "2026-13-01"})
    assert bad.status_code == 200 and "whole numbers" in bad.content.decode()
    assert Document.objects.count() == before
    good = client.post(url, {"shared_value": "2 500 000", "shared_start": "2026. 11. 22."})
    assert good.status_code == 302
    assert Document.objects.count() == before + 2
    page = client.get(good["Location"]).content.decode()
    assert "Szerződés – Ősi Űrhajó Kft." in page and "Kísérőlevél – Ősi Űrhajó Kft." in page


def test_the_partner_tab_and_activity_page_offer_generating(org, client, setup):
    partner, _template = setup
    client.force_login(org.owner)
    tab = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=documents")
    assert generate_url(partner) in tab.content.decode()


def test_the_activity_page_offers_generating_and_the_document_page_tells_the_origin(
    org, client, setup
):
    from tests.activities.test_activities import plan

    partner, template = setup
    activity = plan(org.owner, partner, "meeting", subject="Bejárás")
    client.force_login(org.owner)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert reverse("documents:generate") + f"?activity={activity.pk}" in page
    response = client.post(
        reverse("documents:generate") + f"?activity={activity.pk}&template={template.pk}"
    )
    assert response.status_code == 302
    generation = Generation.objects.get(object_id=activity.pk)
    detail = client.get(reverse("documents:detail", args=[generation.document_id]))
    html = detail.content.decode()
    assert generation.sha256 in html and reverse("documents:template", args=[template.pk]) in html
    page = client.get(reverse("documents:detail", args=[template.document_id])).content.decode()
    assert reverse("documents:template", args=[template.pk]) in page


def test_the_choice_of_templates_costs_the_same_queries_for_1_and_10(org, client, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    partner, template = setup
    client.force_login(org.owner)
    url = generate_url(partner)

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    folder = template.document.folder
    for n in range(9):
        make_template(
            org.boss, f"Levél {n}", f"l{n}.html", "<p>{{ partner.name }}</p>", folder=folder
        )
    assert count() == one


def test_generating_from_a_contact_links_the_contact(org, client, setup):
    partner, template = setup
    contact = partner.contacts.create(family_name="Szőke", given_name="Győző")
    url = reverse("documents:generate") + f"?contact={contact.pk}&template={template.pk}"
    check_access(client, org, url, allowed=GENERATORS, denied_status=(403, 404))
    client.force_login(org.owner)
    assert client.post(url).status_code == 302
    generation = Generation.objects.get(object_id=contact.pk)
    assert generation.document.links.get().object_id == contact.pk
    page = client.get(reverse("partners:contact-detail", args=[contact.pk])).content.decode()
    assert f"?contact={contact.pk}" in page and generation.document.title in page
