"""The Marketing group maintains the registry (issue 22, the brochure): it adds and changes
partners, contacts, partner groups (tags) and user-defined attribute definitions; it deletes
none of them and hands no partner over to other owners."""

import pytest
from django.urls import reverse

from partners.models import AttributeDefinition, Contact, Partner, PartnerOwner, Tag
from tests.access import member
from tests.factories import UserFactory

from .conftest import TAX_NUMBERS, make_contact, make_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(org):
    # Staff: the admin screens (tags, attribute definitions) need the flag beside the functions.
    user = UserFactory(username="marketer", last_name="Piac", first_name="Petra", is_staff=True)
    return member(user, org.company, "marketing")


def test_marketing_maintains_the_registry_adds_and_changes_partners_and_contacts(
    client, org, marketer
):
    client.force_login(marketer)
    # a new partner
    response = client.post(
        reverse("partners:create"), {"name": "Piackutató Kft.", "tax_number": TAX_NUMBERS[2]}
    )
    assert response.status_code == 302
    created = Partner.objects.get(name="Piackutató Kft.")
    # a sales rep's partner, which Marketing sees as the whole registry
    partner = make_partner(org.owner, tax_number=TAX_NUMBERS[3])
    response = client.post(
        reverse("partners:edit", args=[partner.pk]),
        {"name": "Alföld-Gépészeti Zrt.", "city": "Szeged", "base_version": partner.version},
    )
    assert response.status_code == 302
    assert Partner.objects.get(pk=partner.pk).name == "Alföld-Gépészeti Zrt."
    # its contacts: a new one, and a change
    response = client.post(
        reverse("partners:contact-create", args=[partner.pk]),
        {"family_name": "Fekete", "given_name": "Júlia", "language": "hu"},
    )
    assert response.status_code == 302
    contact = make_contact(partner)
    response = client.post(
        reverse("partners:contact-edit", args=[contact.pk]),
        {
            "family_name": "Kovács",
            "given_name": "Anna",
            "position": "beszerző",
            "language": "hu",
            "base_version": contact.version,
        },
    )
    assert response.status_code == 302
    assert Contact.objects.get(pk=contact.pk).position == "beszerző"
    assert Contact.objects.filter(partner=partner, family_name="Fekete").exists()
    # Marketing maintains the data, it does not take the partners: the rep still owns the
    # edited one; the new one is Marketing's own until someone with the function hands it over.
    assert set(PartnerOwner.objects.filter(partner=partner).values_list("user", flat=True)) == {
        org.owner.pk
    }
    assert list(PartnerOwner.objects.filter(partner=created).values_list("user", flat=True)) == [
        marketer.pk
    ]


def test_marketing_neither_deletes_nor_hands_partners_over(client, org, marketer):
    partner = make_partner(org.owner, tax_number=TAX_NUMBERS[3])
    contact = make_contact(partner)
    client.force_login(marketer)
    assert client.get(reverse("partners:assign", args=[partner.pk])).status_code == 403
    response = client.post(
        reverse("partners:assign", args=[partner.pk]), {"owners": [marketer.pk], "reason": "x"}
    )
    assert response.status_code == 403
    assert client.post(reverse("partners:contact-erase", args=[contact.pk])).status_code == 403
    for view, pk in (
        ("partners_partner_delete", partner.pk),
        ("partners_contact_delete", contact.pk),
    ):
        assert client.post(reverse(f"admin:{view}", args=[pk]), {"post": "yes"}).status_code == 403
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert Contact.objects.get(pk=contact.pk).family_name == "Kovács"
    assert list(PartnerOwner.objects.filter(partner=partner).values_list("user", flat=True)) == [
        org.owner.pk
    ]
    assert not marketer.has_perm("partners.assign_partner")


def test_marketing_maintains_partner_groups_and_attribute_definitions_but_deletes_none(
    client, org, marketer
):
    client.force_login(marketer)
    # partner groups (tags)
    response = client.post(
        reverse("admin:partners_tag_add"), {"name": "Rendezvény 2027", "colour": "success"}
    )
    assert response.status_code == 302
    tag = Tag.objects.get(name="Rendezvény 2027")
    response = client.post(
        reverse("admin:partners_tag_change", args=[tag.pk]),
        {"name": "Rendezvény 2027 tavasz", "colour": "info"},
    )
    assert response.status_code == 302
    assert Tag.objects.get(pk=tag.pk).name == "Rendezvény 2027 tavasz"
    # user-defined attribute definitions
    response = client.post(
        reverse("admin:partners_attributedefinition_add"),
        {
            "target": "partner",
            "key": "segment",
            "label_hu": "Szegmens",
            "label_en": "Segment",
            "kind": "text",
            "choices": "",
            "order": "0",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    definition = AttributeDefinition.objects.get(key="segment")
    response = client.post(
        reverse("admin:partners_attributedefinition_change", args=[definition.pk]),
        {
            "target": "partner",
            "key": "segment",
            "label_hu": "Piaci szegmens",
            "label_en": "Segment",
            "kind": "text",
            "choices": "",
            "order": "0",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert AttributeDefinition.objects.get(pk=definition.pk).label_hu == "Piaci szegmens"
    # ... and deletes none of them
    for view, pk in (
        ("partners_tag_delete", tag.pk),
        ("partners_attributedefinition_delete", definition.pk),
    ):
        assert client.post(reverse(f"admin:{view}", args=[pk]), {"post": "yes"}).status_code == 403
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert AttributeDefinition.objects.filter(pk=definition.pk).exists()
