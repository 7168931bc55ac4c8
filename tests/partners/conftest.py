import pytest

from crm.groups import ensure_default_groups
from partners.models import Contact, Partner, PartnerOwner
from partners.services import partner_create
from tests.access import build_org

# Valid Hungarian tax numbers (check digit right), for test partners.
TAX_NUMBERS = [
    "10773381-2-44",
    "12345676-2-41",
    "23451672-2-09",
    "24893059-2-06",
    "13654829-2-02",
    "11402138-2-08",
]


@pytest.fixture
def org(db):
    # A transactional test that ran before may have flushed the data migrations' groups.
    ensure_default_groups()
    return build_org()


def make_partner(owner, name="Alföld-Gépészeti Kft.", **fields) -> Partner:
    """A partner owned by ``owner`` in their current company, through the service."""
    partner = Partner(name=name, city=fields.pop("city", "Szeged"), **fields)
    return partner_create(user=owner, partner=partner)


def make_contact(partner, family_name="Kovács", given_name="Anna", **fields) -> Contact:
    return Contact.objects.create(
        partner=partner, family_name=family_name, given_name=given_name, **fields
    )


def make_segment_attribute(**fields):
    """A partner attribute "segment" (choice: kkv / nagy), required or not."""
    from partners.models import AttributeDefinition, AttributeKind, AttributeTarget

    return AttributeDefinition.objects.create(
        target=AttributeTarget.PARTNER,
        key="segment",
        label_hu="Szegmens",
        label_en="Segment",
        kind=AttributeKind.CHOICE,
        choices="kkv|KKV|SME\nnagy|Nagyvállalat|Large",
        **fields,
    )


def owners_of(partner, company):
    return set(
        PartnerOwner.objects.filter(partner=partner, company=company).values_list(
            "user__username", flat=True
        )
    )
