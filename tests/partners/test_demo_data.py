"""The demo partners look like real Hungarian companies."""

import pytest
from django.core.management import call_command

from partners.demo import COURT_OF, TAX_OFFICE_OF
from partners.models import Partner

pytestmark = pytest.mark.django_db


def test_demo_partners_have_names_of_their_own_and_the_court_and_tax_office_of_their_seat():
    call_command("load_demo")
    partners = list(Partner.objects.values("name", "county", "registration_number", "tax_number"))
    assert len(partners) >= 25
    names = [p["name"] for p in partners]
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    for partner in partners:
        if not partner["county"] or not partner["registration_number"]:
            continue
        court = partner["registration_number"][:2]
        assert court == COURT_OF[partner["county"]], partner
        assert partner["tax_number"][-2:] in {TAX_OFFICE_OF[partner["county"]], "41", "43"}, partner
