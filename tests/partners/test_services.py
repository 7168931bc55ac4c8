"""Services: GDPR duties, the computed status, user-defined attributes, the registry fill."""

import datetime
import json
import threading

import pytest
from django.test import override_settings
from django.urls import reverse

from crm.integrations.companyinfo_fake import make_server
from crm.messaging.models import Message
from partners import status
from partners.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeTarget,
    Contact,
    EventKind,
    GdprNotice,
    Partner,
    PartnerFinancials,
    PartnerStatus,
)
from partners.services import contact_create, contact_erase, contact_export

from .conftest import make_contact, make_partner, make_segment_attribute

pytestmark = pytest.mark.django_db


def test_a_new_contact_with_an_email_gets_the_gdpr_notice_once_per_address(org):
    partner = make_partner(org.owner)
    contact = contact_create(
        user=org.owner,
        contact=Contact(
            partner=partner,
            family_name="Kiss",
            given_name="Ilona",
            emails=["kiss.ilona@example.hu"],
        ),
    )
    message = Message.objects.get(recipient="kiss.ilona@example.hu")
    assert "Tisztelt Kiss Ilona" in message.body_text
    assert partner.name in message.body_text
    assert message.company_id == org.company.pk and message.about == contact
    other = make_partner(org.owner, name="Másik Kft.")
    contact_create(
        user=org.owner,
        contact=Contact(partner=other, family_name="Kiss", emails=["KISS.ILONA@example.hu"]),
    )
    assert Message.objects.filter(recipient__iexact="kiss.ilona@example.hu").count() == 1
    assert GdprNotice.objects.count() == 1


def test_the_gdpr_notice_is_in_the_contacts_language(org):
    partner = make_partner(org.owner)
    contact_create(
        user=org.owner,
        contact=Contact(
            partner=partner,
            family_name="Smith",
            given_name="John",
            emails=["john@example.com"],
            language="en",
        ),
    )
    assert Message.objects.get(recipient="john@example.com").subject == (
        "Első Kft.: how we handle your data"
    )


def test_no_notice_when_the_contact_is_not_saved(org):
    partner = make_partner(org.owner)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any validation error
        contact_create(
            user=org.owner,
            contact=Contact(partner=partner, family_name="", emails=["x@example.hu"]),
        )
    assert not Message.objects.exists()


def test_export_holds_everything_and_erasure_leaves_nothing_personal(client, org):
    partner = make_partner(org.owner)
    contact = contact_create(
        user=org.owner,
        contact=Contact(
            partner=partner,
            family_name="Titok",
            given_name="Tamás",
            emails=["titok@example.hu"],
            phones=["+36 30 999 8888"],
            notes="Kedveli a horgászatot.",
        ),
    )
    contact.notes = "Most már a vitorlázást."
    contact.save()
    data = contact_export(contact=contact)
    assert data["person"]["emails"] == ["titok@example.hu"]
    assert data["messages"][0]["recipient"] == "titok@example.hu"
    assert len(data["history"]) == 2
    client.force_login(org.owner)
    download = client.get(reverse("partners:contact-export", args=[contact.pk]))
    assert json.loads(download.content)["person"]["family_name"] == "Titok"
    # Reps may not erase; an administrator may.
    assert client.post(reverse("partners:contact-erase", args=[contact.pk])).status_code == 403
    contact_erase(contact=contact, user=org.superuser)
    contact.refresh_from_db()
    assert contact.emails == [] and contact.phones == [] and contact.notes == ""
    assert "Titok" not in contact.family_name and contact.erased_at
    assert not contact.events.exists()
    assert not Message.objects.filter(recipient="titok@example.hu").exists()
    assert not GdprNotice.objects.exists()
    assert [c.purpose for c in contact.consents.all()] == ["data"]


def _event(partner, company, kind, day, reference, amount):
    status.record_business_event(
        partner=partner,
        company=company,
        kind=kind,
        occurred_on=day,
        source="test",
        reference=reference,
        amount=amount,
    )


def test_status_is_computed_from_business_events(org):
    partner = make_partner(org.owner)
    today = datetime.date(2026, 11, 22)
    assert not PartnerStatus.objects.filter(partner=partner).exists()  # potential
    _event(partner, org.company, EventKind.ORDER, datetime.date(2024, 3, 1), "R-1", 100)
    status.refresh_statuses(today=today)
    row = PartnerStatus.objects.get(partner=partner, company=org.company)
    assert row.status == "inactive"
    _event(partner, org.company, EventKind.TURNOVER, datetime.date(2026, 10, 1), "R-2", 2500000)
    status.refresh_statuses(today=today)
    row.refresh_from_db()
    assert (row.status, row.period_turnover, row.period_events) == ("active", 2500000, 1)
    # Status is per own company: in the other company it is still potential.
    assert not PartnerStatus.objects.filter(partner=partner, company=org.other_company).exists()
    # A year later with nothing new, the nightly run makes it inactive again.
    status.refresh_statuses(today=datetime.date(2027, 11, 2))
    row.refresh_from_db()
    assert row.status == "inactive"
    # Recording the same reference twice changes nothing.
    _event(partner, org.company, EventKind.TURNOVER, datetime.date(2026, 10, 1), "R-2", 2500000)
    assert partner.business_events.count() == 2


def test_status_filter_of_the_list(client, org):
    active = make_partner(org.owner, name="Aktív Kft.")
    make_partner(org.owner, name="Lehetséges Kft.")
    status.record_business_event(
        partner=active,
        company=org.company,
        kind=EventKind.ORDER,
        occurred_on=datetime.date.today(),
        source="test",
        reference="A-1",  # noqa: DTZ011
    )
    client.force_login(org.owner)

    def names(value):
        rows = client.get(reverse("partners:list"), {"status": value}).context["rows"]
        return [p.name for p in rows]

    assert names("active") == ["Aktív Kft."]
    assert names("potential") == ["Lehetséges Kft."]


def test_user_defined_attributes_in_forms_details_and_filters(client, org):
    make_segment_attribute(required=True)
    AttributeDefinition.objects.create(
        target=AttributeTarget.PARTNER,
        key="founded",
        label_hu="Alapítva",
        kind=AttributeKind.DATE,
    )
    client.force_login(org.owner)
    response = client.post(reverse("partners:create"), {"name": "Attribútum Kft."})
    assert response.status_code == 200 and "attr_segment" in response.context["form"].errors
    response = client.post(
        reverse("partners:create"),
        {"name": "Attribútum Kft.", "attr_segment": "nagy", "attr_founded": "1998-05-04"},
    )
    partner = Partner.objects.get(name="Attribútum Kft.")
    assert partner.attributes == {"segment": "nagy", "founded": "1998-05-04"}
    page = client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "Nagyvállalat" in page and "1998. 05. 04." in page
    make_partner(org.owner, name="Kicsi Kft.", attributes={"segment": "kkv"})
    rows = client.get(reverse("partners:list"), {"attr_segment": "nagy"}).context["rows"]
    assert [p.name for p in rows] == ["Attribútum Kft."]


@pytest.fixture
def registry():
    server = make_server(port=0, key="titok")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with override_settings(COMPANY_INFO_URL=url, COMPANY_INFO_KEY="titok", COMPANY_INFO_TIMEOUT=2):
        yield url
    server.shutdown()
    server.server_close()


def test_fill_from_registry_fills_the_form_and_saves_the_figures(client, org, registry):
    client.force_login(org.owner)
    response = client.post(
        reverse("partners:registry-fill"),
        {"tax_number": "25730199-2-03", "notes": "Hívni kedden"},
        HTTP_HX_REQUEST="true",
    )
    form = response.context["form"]
    assert form["name"].value().startswith("Hírös Fuvar")
    assert form["city"].value() == "Kecskemét" and form["county"].value() == "BK"
    assert form["registration_number"].value() == "03-06-112408"
    assert form["notes"].value() == "Hívni kedden"  # what the user typed stays
    data = {k: v for k, v in form.data.items() if v not in (None, "")}
    # the registry's years are in the form's year rows, for the user to check before saving
    assert response.context["financials"].forms[0]["year"].value() == "2025"
    data["confirm_duplicate"] = "on"
    saved = client.post(reverse("partners:create"), data)
    assert saved.status_code == 302
    partner = Partner.objects.get(tax_number="25730199-2-03")
    assert partner.industry.code == "4941"
    assert PartnerFinancials.objects.filter(partner=partner).count() >= 2


def test_fill_from_registry_errors_leave_the_form_as_it_was(client, org, registry):
    client.force_login(org.owner)
    typed = {"tax_number": "11111111-2-41", "name": "Saját gépelés Kft.", "city": "Pécs"}
    response = client.post(reverse("partners:registry-fill"), typed, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "registry-error" in page
    assert response.context["form"]["name"].value() == "Saját gépelés Kft."
    with override_settings(COMPANY_INFO_URL="http://127.0.0.1:9"):  # nobody listens
        response = client.post(
            reverse("partners:registry-fill"),
            {**typed, "tax_number": "25730199-2-03"},
            HTTP_HX_REQUEST="true",
        )
    assert "registry-error" in response.content.decode()
    assert response.context["form"]["city"].value() == "Pécs"
    response = client.post(
        reverse("partners:registry-fill"), {**typed, "tax_number": "123"}, HTTP_HX_REQUEST="true"
    )
    assert response.context["form"].errors["tax_number"]
    assert not Partner.objects.exists()


def test_contact_detail_of_a_partner_the_user_cannot_see_is_404(client, org):
    contact = make_contact(make_partner(org.peer))
    client.force_login(org.owner)
    assert client.get(reverse("partners:contact-detail", args=[contact.pk])).status_code == 404
    assert client.get(reverse("partners:contact-export", args=[contact.pk])).status_code == 404
