"""GDPR notice per own company (issue 22): each own company is a data controller of its own
and names itself in the notice; the other rules (language, suppressions, once per company and
address) hold for each company alike."""

import pytest
from django.urls import reverse

from crm.messaging.models import Message, Suppression
from partners.models import Contact, GdprNotice
from partners.services import contact_create, contact_erase, contact_export, contact_update

from .conftest import TAX_NUMBERS, make_partner

pytestmark = pytest.mark.django_db

ADDRESS = "kiss.ilona@example.hu"


def _register(user, partner, email=ADDRESS, **fields):
    return contact_create(
        user=user,
        contact=Contact(
            partner=partner, family_name="Kiss", given_name="Ilona", emails=[email], **fields
        ),
    )


def _notices(email=ADDRESS):
    return Message.objects.filter(recipient__iexact=email).order_by("pk")


def test_gdpr_notice_is_sent_once_per_own_company_and_address(org):
    first = make_partner(org.owner, tax_number=TAX_NUMBERS[2])
    _register(org.owner, first)
    # The same company records the address again (another contact, another partner, upper
    # case, an edit): no second notice from it.
    second = make_partner(org.peer, name="Másik Kft.", tax_number=TAX_NUMBERS[3])
    again = _register(org.peer, second, email=ADDRESS.upper())
    again.notes = "Telefonon is elérhető."
    contact_update(user=org.peer, contact=again, fields=["notes"], expected_version=again.version)
    assert [(m.company_id, m.recipient) for m in _notices()] == [(org.company.pk, ADDRESS)]
    # Another own company records the same address: it sends its own notice, naming itself.
    theirs = make_partner(org.other_company_user, name="Harmadik Bt.", tax_number=TAX_NUMBERS[4])
    _register(org.other_company_user, theirs)
    _register(org.other_company_user, theirs, email=ADDRESS.upper())
    sent = list(_notices())
    assert [m.company_id for m in sent] == [org.company.pk, org.other_company.pk]
    assert "Második Zrt." in sent[1].subject and "Második Zrt." in sent[1].body_text
    assert "Második Zrt. mint adatkezelő" in sent[1].body_text
    assert "Első Kft." not in sent[1].body_text
    assert "Első Kft." in sent[0].subject and "Második Zrt." not in sent[0].body_text
    assert sorted(GdprNotice.objects.values_list("company_id", flat=True)) == sorted(
        [org.company.pk, org.other_company.pk]
    )


def test_each_own_companys_gdpr_notice_is_in_the_contacts_language(org):
    ours = make_partner(org.owner, tax_number=TAX_NUMBERS[2])
    theirs = make_partner(org.other_company_user, name="Harmadik Bt.", tax_number=TAX_NUMBERS[4])
    _register(org.owner, ours, language="en")
    _register(org.other_company_user, theirs, language="en")
    assert [m.subject for m in _notices()] == [
        "Első Kft.: how we handle your data",
        "Második Zrt.: how we handle your data",
    ]
    assert all("as the controller of your data" in m.body_text for m in _notices())


def test_a_bounced_address_gets_no_gdpr_notice_from_any_own_company(org):
    Suppression.objects.create(address=ADDRESS, reason=Suppression.Reason.BOUNCED)
    _register(org.owner, make_partner(org.owner, tax_number=TAX_NUMBERS[2]))
    theirs = make_partner(org.other_company_user, name="Harmadik Bt.", tax_number=TAX_NUMBERS[4])
    contact = _register(org.other_company_user, theirs)
    assert not _notices().exists() and not GdprNotice.objects.exists()
    assert contact.pk  # the contact itself is saved


def test_an_unsubscribed_address_still_gets_each_own_companys_gdpr_notice(org):
    # Unsubscribing stops marketing mail; the notice is not marketing.
    Suppression.objects.create(address=ADDRESS, reason=Suppression.Reason.UNSUBSCRIBED)
    _register(org.owner, make_partner(org.owner, tax_number=TAX_NUMBERS[2]))
    theirs = make_partner(org.other_company_user, name="Harmadik Bt.", tax_number=TAX_NUMBERS[4])
    _register(org.other_company_user, theirs)
    assert _notices().count() == 2


def test_export_names_each_notifying_company_and_erasure_lets_a_new_registration_notify_again(
    client, org
):
    ours = make_partner(org.owner, tax_number=TAX_NUMBERS[2])
    contact = _register(org.owner, ours)
    theirs = make_partner(org.other_company_user, name="Harmadik Bt.", tax_number=TAX_NUMBERS[4])
    _register(org.other_company_user, theirs)
    exported = contact_export(contact=contact)
    assert [n["company"] for n in exported["gdpr_notices"]] == ["Első Kft.", "Második Zrt."]
    client.force_login(org.owner)
    download = client.get(reverse("partners:contact-export", args=[contact.pk]))
    assert len(download.json()["gdpr_notices"]) == 2
    contact_erase(contact=contact, user=org.superuser)
    assert not GdprNotice.objects.exists()
    # The outbox keeps no trace of the address, not even in its keys ...
    assert not Message.objects.filter(idempotency_key__icontains=ADDRESS).exists()
    # ... so when the person is recorded again, they are told again.
    _register(org.owner, ours)
    assert _notices().count() == 1 and GdprNotice.objects.count() == 1


def test_an_import_sends_the_gdpr_notice_of_the_company_it_was_started_in(
    org, eager, settings, tmp_path
):
    from crm.models import Membership
    from partners.models import ImportKind

    from .test_import import make_job, run

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PARTNERS_IMPORT_WRITERS = 1
    partner = make_partner(org.owner, tax_number=TAX_NUMBERS[2])
    _register(org.owner, partner)  # Első Kft. notified the address
    importer = org.other_company_user
    headers = ["Adószám", "Név", "Beosztás", "E-mail"]
    job = make_job(
        importer,
        [headers, [TAX_NUMBERS[2], "Kiss Ilona", "beszerző", ADDRESS]],
        kind=ImportKind.CONTACTS,
    )
    assert job.company == org.other_company
    # The importer switches to the other company while the job waits in the queue.
    Membership.objects.create(user=importer, company=org.company)
    importer.current_company = org.company
    importer.save(update_fields=["current_company"])
    job = run(job)
    assert job.updated_count == 1, job.error
    assert [m.company_id for m in _notices()] == [org.company.pk, org.other_company.pk]
