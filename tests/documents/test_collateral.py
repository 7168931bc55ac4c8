"""The sales collateral library (issue 24, item 10): folders marked by admins and folder
managers, found from the partner page, sent to a contact as attachments through the outbox
(a real SMTP server on loopback), the send on the partner's timeline; only collateral the user
sees, only to contacts of partners the user sees."""

import pytest
from django.urls import reverse

from activities.models import Activity
from crm.messaging.models import Message
from crm.messaging.services import deliver
from documents.models import DocumentLink, Folder, FolderGrant, Level
from tests.access import check_access

from .conftest import PDF, make_document, make_partner, pdf
from .test_pages import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(org):
    """A collateral folder the reps read (with a subfolder), one only managers see, and a
    folder that is not collateral."""
    from django.contrib.auth.models import Group

    from crm.groups import DEFAULT_GROUPS

    reps = Group.objects.get(name=DEFAULT_GROUPS["sales_rep"])
    shown = Folder.objects.create(company=org.company, name="Árlisták", is_collateral=True)
    sheets = Folder.objects.create(company=org.company, name="Termékismertetők", parent=shown)
    secret = Folder.objects.create(company=org.company, name="Vezetői anyagok", is_collateral=True)
    inner = Folder.objects.create(company=org.company, name="Belső")
    FolderGrant.objects.create(folder=shown, group=reps, level=Level.READ)
    FolderGrant.objects.create(folder=inner, group=reps, level=Level.READ)
    docs = {
        "price": make_document(
            org.boss,
            title="Árlista 2026",
            folder=shown,
            tags=["árlista", "2026"],
            type="price_list",
        ),
        "sheet": make_document(
            org.boss,
            title="Termékismertető – DX-200",
            folder=sheets,
            description="Akkus fúrógép, 18 V",
            file=pdf("DX-200.pdf", b"% lap\n"),
        ),
        "secret": make_document(
            org.boss, title="Árrés-táblázat", folder=secret, file=pdf("t.pdf", b"% t\n")
        ),
        "inner": make_document(
            org.boss, title="Belső árkalkuláció", folder=inner, file=pdf("b.pdf", b"% b\n")
        ),
    }
    return shown, docs


@pytest.fixture
def customer(org):
    from tests.partners.conftest import make_contact

    partner = make_partner(org.owner, name="Alföld-Gépészeti Kft.")
    contact = make_contact(partner, "Kovács", "Anna", emails=["kovacs.anna@alfold.hu"])
    return partner, contact


def tab(client, partner, q="") -> str:
    url = reverse("partners:detail", args=[partner.pk]) + "?tab=collateral"
    return client.get(url + (f"&q={q}" if q else "")).content.decode()


def test_the_partner_tab_finds_only_collateral_the_user_sees(org, library, customer, client):
    _shown, docs = library
    partner, _contact = customer
    client.force_login(org.owner)
    page = tab(client, partner)
    assert "Árlista 2026" in page and "Termékismertető – DX-200" in page  # the subfolder too
    assert "Árrés" not in page  # collateral the rep does not see
    assert "Belső árkalkuláció" not in page  # seen, but not collateral
    assert "DX-200" in tab(client, partner, "fúrógép")  # the description
    assert "DX-200" in tab(client, partner, "furogepet")  # stems, accents ignored
    assert "Árlista" not in tab(client, partner, "fúrógép")
    assert "Árlista 2026" in tab(client, partner, "árlista")  # a tag
    assert "Kovács Anna – kovacs.anna@alfold.hu" in page
    client.force_login(org.boss)  # sees every document of the company
    assert "Árrés-táblázat" in tab(client, partner)


def test_sending_mails_the_files_to_the_contact_and_records_it_on_the_timeline(
    org, library, customer, client, smtp_server
):
    _shown, docs = library
    partner, contact = customer
    client.force_login(org.owner)
    token = "a1b2c3"
    fields = {
        "documents": [docs["price"].pk, docs["sheet"].pk],
        "contact": contact.pk,
        "subject": "Árajánlatunkhoz",
        "note": "Ahogy telefonon megbeszéltük.",
        "token": token,
    }
    url = reverse("documents:collateral-send", args=[partner.pk])
    response = client.post(url, fields)
    assert response.status_code == 302 and "tab=collateral" in response["Location"]
    client.post(url, fields)  # the same form posted twice: sent once
    assert Message.objects.count() == 1
    deliver()

    (mail,) = smtp_server.parsed()
    assert mail["To"] == "kovacs.anna@alfold.hu" and mail["Subject"] == "Árajánlatunkhoz"
    assert "Ahogy telefonon megbeszéltük." in mail.get_body(("plain",)).get_content()
    files = {a.get_filename(): a.get_content() for a in mail.iter_attachments()}
    assert set(files) == {"Szerződés.pdf", "DX-200.pdf"}
    assert files["DX-200.pdf"] == PDF + b"% lap\n"

    (activity,) = Activity.objects.filter(partner=partner)
    assert activity.contact_id == contact.pk and activity.owner_id == org.owner.pk
    assert activity.type.code == "email" and activity.closed_at is not None
    assert "Árlista 2026" in activity.subject and "kovacs.anna@alfold.hu" in activity.result_notes
    linked = DocumentLink.objects.filter(object_id=activity.pk).values_list("document", flat=True)
    assert set(linked) == {docs["price"].pk, docs["sheet"].pk}
    timeline = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=timeline")
    assert "Árlista 2026" in timeline.content.decode()


def test_files_over_the_cap_are_refused_with_a_clear_message_keeping_the_choice(
    org, library, customer, client, settings
):
    _shown, docs = library
    partner, contact = customer
    settings.DOCUMENTS_COLLATERAL_MAX_BYTES = 100
    client.force_login(org.owner)
    response = client.post(
        reverse("documents:collateral-send", args=[partner.pk]),
        {"documents": [docs["price"].pk, docs["sheet"].pk], "contact": contact.pk, "note": "Jó"},
        follow=True,
    )
    page = response.content.decode()
    assert "egy levélben legfeljebb" in page  # "more than one mail may carry" in Hungarian
    for doc in (docs["price"], docs["sheet"]):
        assert f'id="coll-{doc.pk}" aria-label="{doc.title}" checked' in page
    assert ">Jó</textarea>" in page
    assert not Message.objects.exists() and not Activity.objects.filter(partner=partner).exists()


def test_only_visible_collateral_goes_and_only_to_the_partners_own_contacts(
    org, library, customer, client
):
    from tests.partners.conftest import make_contact

    _shown, docs = library
    partner, contact = customer
    elsewhere = make_contact(
        make_partner(org.owner, name="Másik Bt."), "Szabó", "Béla", emails=["b@masik.hu"]
    )
    url = reverse("documents:collateral-send", args=[partner.pk])
    client.force_login(org.owner)
    client.post(url, {"documents": [docs["price"].pk], "contact": elsewhere.pk})
    client.post(url, {"documents": [docs["secret"].pk, docs["inner"].pk], "contact": contact.pk})
    assert not Message.objects.exists()
    # a partner the user does not see: as if it did not exist
    check_access(
        client,
        org,
        url,
        method="post",
        data={"documents": [docs["price"].pk], "contact": contact.pk},
        # the partner master is shared: the other company's manager sees the partner, but not
        # this company's collateral, so nothing goes; the
        # superuser works in no company here
        allowed={
            "owner",
            "supervisor",
            "second_supervisor",
            "boss",
            "other_company_user",
        },
    )
    senders = set(Message.objects.values_list("created_by__username", flat=True))
    assert senders == {"owner", "supervisor", "second_supervisor", "boss"}


def test_admins_and_folder_managers_mark_folders_as_collateral(org, library, client):
    folder = Folder.objects.create(company=org.company, name="Referenciák")
    FolderGrant.objects.create(folder=folder, user=org.supervisor, level=Level.MANAGE)
    FolderGrant.objects.create(folder=folder, user=org.peer, level=Level.READ)
    url = reverse("documents:folder-collateral", args=[folder.pk])
    check_access(
        client,
        org,
        url,
        method="post",
        data={"collateral": "1"},
        allowed={"supervisor", "superuser"},
        denied_status=(403, 404),
        row=folder,
    )
    assert Folder.objects.get(pk=folder.pk).is_collateral
    client.force_login(org.supervisor)
    page = client.get(reverse("documents:list") + f"?folder={folder.pk}").content.decode()
    assert 'data-testid="collateral-badge"' in page and 'data-testid="collateral-toggle"' in page
    client.post(url, {"collateral": "0"})
    assert not Folder.objects.get(pk=folder.pk).is_collateral
    client.force_login(org.peer)
    page = client.get(reverse("documents:list") + f"?folder={folder.pk}").content.decode()
    assert 'data-testid="collateral-toggle"' not in page


def test_the_tab_issues_the_same_queries_for_1_and_50_documents(org, library, customer, client):
    shown, _docs = library
    partner, _contact = customer
    url = reverse("partners:detail", args=[partner.pk]) + "?tab=collateral"
    client.force_login(org.owner)
    one = count_queries(client, url)
    for n in range(48):
        make_document(org.boss, title=f"Anyag {n}", folder=shown, file=pdf(f"{n}.pdf", b"%\n"))
    assert count_queries(client, url) == one
