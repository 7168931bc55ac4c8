"""A small organisation with partners, contacts and meetings for the query builder's tests:
the owner's two partners in Pest county (one active, with a meeting this quarter), the peer's
one in Szeged."""

import datetime

import pytest
from django.utils import timezone

from activities.models import Activity, ActivityType
from partners.models import ContactRole, ContactType, PartnerStatus, Status
from tests.partners.conftest import (
    TAX_NUMBERS,
    make_contact,
    make_partner,
    org,  # noqa: F401 - the persona organisation fixture
)


def fresh(user):
    """The user as a new request would load it (no cached permissions or scopes)."""
    return type(user).objects.get(pk=user.pk)


def meeting(owner, partner, *, starts_at, subject="Bemutató"):
    return Activity.objects.create(
        company=owner.current_company,
        owner=owner,
        type=ActivityType.objects.get(code="meeting"),
        partner=partner,
        subject=subject,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
    )


@pytest.fixture
def data(org):  # noqa: F811 - the fixture above
    now = timezone.now()
    pest = make_partner(org.owner, "Pesti Gép Kft.", city="Budaörs", county="PE")
    pest2 = make_partner(
        org.owner, "Gödöllői Fa Bt.", city="Gödöllő", county="PE", tax_number=TAX_NUMBERS[2]
    )
    szeged = make_partner(org.peer, "Szegedi Szerszám Zrt.", city="Szeged", county="CS")
    PartnerStatus.objects.create(partner=pest, company=org.company, status=Status.ACTIVE)
    financial = ContactType.objects.create(name_hu="Pénzügyi", name_en="Financial")
    anna = make_contact(pest, "Kovács", "Anna", emails=[])
    bela = make_contact(pest2, "Nagy", "Béla", emails=["bela@godollofa.hu"])
    for contact in (anna, bela):
        ContactRole.objects.create(contact=contact, type=financial, partner=contact.partner)
    meeting(org.owner, pest, starts_at=now - datetime.timedelta(hours=2))
    meeting(org.peer, szeged, starts_at=now - datetime.timedelta(hours=3))
    return {"pest": pest, "pest2": pest2, "szeged": szeged, "financial": financial}
