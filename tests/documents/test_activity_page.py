"""The activity page shows the activity's documents and starts attaching one with the activity
already linked (issue 24, item 2: "from a partner or activity page the link is pre-filled")."""

import pytest
from django.urls import reverse

from documents import services
from documents.models import Document, DocumentLink
from tests.activities.test_activity_screens import plan

from .conftest import make_document, make_partner, pdf
from .test_pages import count_queries

pytestmark = pytest.mark.django_db


def test_the_activity_page_lists_its_documents_and_attaches_with_the_activity_linked(org, client):
    partner = make_partner(org.owner)
    meeting = plan(org.owner, partner, "meeting", subject="Tárgyalás a keretszerződésről")
    make_document(org.owner, title="Emlékeztető", links=[meeting])
    make_document(org.owner, title="A partneré, nem a tárgyalásé", links=[partner])
    thrown = make_document(org.owner, title="Kidobott jegyzet", links=[meeting])
    services.document_delete(document=thrown, user=org.owner)
    url = reverse("activities:detail", args=[meeting.pk])

    client.force_login(org.owner)
    page = client.get(url).content.decode()
    assert 'data-testid="section-documents"' in page
    assert "Emlékeztető" in page
    assert "A partneré" not in page and "Kidobott" not in page
    attach = reverse("documents:create") + f"?activity={meeting.pk}"
    assert attach in page

    form = client.get(attach).content.decode()
    assert "Tárgyalás a keretszerződésről" in form  # the link is shown, pre-filled
    response = client.post(
        attach, {"title": "Jelenléti ív", "type": "other", "activity": meeting.pk}
    )
    document = Document.objects.get(title="Jelenléti ív")
    assert response["Location"] == reverse("documents:files", args=[document.pk])
    assert DocumentLink.objects.filter(document=document, object_id=meeting.pk).exists()
    services.version_add(document=document, uploaded=pdf("ív.pdf"), user=org.owner)
    assert "Jelenléti ív" in client.get(url).content.decode()


def test_who_sees_the_activity_sees_its_documents_and_no_one_else(org, client):
    meeting = plan(org.owner, make_partner(org.owner), "meeting")
    make_document(org.owner, title="Emlékeztető", links=[meeting])
    url = reverse("activities:detail", args=[meeting.pk])
    client.force_login(org.supervisor)
    assert "Emlékeztető" in client.get(url).content.decode()
    for outsider in (org.peer, org.other_company_user, org.outsider):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_the_activity_page_issues_the_same_queries_for_1_and_50_documents(org, client):
    meeting = plan(org.owner, make_partner(org.owner), "meeting")
    make_document(org.owner, title="D", links=[meeting])
    url = reverse("activities:detail", args=[meeting.pk])
    client.force_login(org.supervisor)
    one = count_queries(client, url)
    for n in range(49):
        make_document(org.owner, title=f"D{n}", links=[meeting], file=pdf(f"{n}.pdf", b"%%\n"))
    assert count_queries(client, url) == one
