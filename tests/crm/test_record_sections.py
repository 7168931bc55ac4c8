"""The record pages draw what other apps register in ``crm.sections``: the partner page's tabs,
the contact page's and the activity page's sections, each only for users with its permission."""

import pytest
from django.urls import reverse

from crm.sections import PageSection, activity_sections, contact_sections, partner_tabs
from tests.activities.test_activity_screens import plan
from tests.partners.conftest import make_contact, make_partner
from tests.partners.conftest import org as org_fixture

pytestmark = pytest.mark.django_db
org = org_fixture  # the persona organisation


def _context(request, record):
    return {"seen": f"{type(record).__name__} {record.pk} for {request.user.username}"}


@pytest.fixture
def registered(settings, tmp_path):
    (tmp_path / "probe.html").write_text("<p data-testid='probe'>{{ seen }}</p>")
    first = settings.TEMPLATES[0]
    # a new list, so that Django's template engines are built again with the probe's folder
    settings.TEMPLATES = [{**first, "DIRS": [*first["DIRS"], tmp_path]}, *settings.TEMPLATES[1:]]
    added = []
    for registry, permission in (
        (partner_tabs, None),
        (contact_sections, None),
        (activity_sections, None),
        (activity_sections, "documents.restore_document"),  # reps lack it: not shown
    ):
        key = "probe" if permission is None else "restricted"
        registry.register(
            PageSection(key, "Próba", "probe.html", _context, order=99, permission=permission)
        )
        added.append((registry, key))
    yield
    for registry, key in added:
        registry.unregister(key)


def test_partner_contact_and_activity_pages_draw_the_registered_sections(client, org, registered):
    partner = make_partner(org.owner)
    contact = make_contact(partner)
    activity = plan(org.owner, partner)
    client.force_login(org.owner)
    page = client.get(reverse("partners:detail", args=[partner.pk]) + "?tab=probe")
    assert f"Partner {partner.pk} for {org.owner.username}" in page.content.decode()
    page = client.get(reverse("partners:contact-detail", args=[contact.pk])).content.decode()
    assert f"Contact {contact.pk} for {org.owner.username}" in page
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert 'data-testid="section-probe"' in page
    assert f"Activity {activity.pk} for {org.owner.username}" in page
    assert 'data-testid="section-restricted"' not in page
