"""Recording a contact's consent: the answer is the user's choice, never a default."""

import pytest
from django.urls import reverse

from partners.models import Consent

from .conftest import make_contact, make_partner

pytestmark = pytest.mark.django_db


def test_the_consent_form_does_not_default_to_consented(client, org):
    contact = make_contact(make_partner(org.owner))
    client.force_login(org.superuser)
    page = client.get(reverse("partners:contact-detail", args=[contact.pk])).content.decode()
    form = page[page.index('data-testid="consent-form"') :]
    answer = form[
        form.index('name="granted"') : form.index("</select>", form.index('name="granted"'))
    ]
    assert '<option value="" selected>' in answer and "required" in answer

    url = reverse("partners:consent-add", args=[contact.pk])
    told = client.post(url, {"purpose": "newsletter", "source": "phone"}, follow=True)
    assert "Válassza ki, hogy" in told.content.decode()
    assert not Consent.objects.exists(), "a consent without an answer is not recorded"

    client.post(url, {"purpose": "newsletter", "source": "phone", "granted": "0"})
    assert Consent.objects.get().granted is False
