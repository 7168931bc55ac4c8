"""A partner's tax number checked with the tax authority (NAV) on the partner form and in the
import, against the fake NAV on loopback (real HTTP and XML); without NAV's verdict the
checksum alone decides and the user is told so."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from partners import imports, taxcheck
from partners.models import Partner

from ..conftest import free_port
from ..nav_helpers import nav_service, nav_settings
from .conftest import make_partner
from .test_import import HEADERS, make_job, row, run

pytestmark = pytest.mark.django_db

VALID = "10773381-2-44"  # the fake NAV's "Példa Kereskedelmi Kft."
UNKNOWN = "12345676-2-41"  # right check digit, no such taxpayer at NAV
NO_ANSWER_HU = "A NAV nem válaszolt; csak az ellenőrző számjegyet vizsgáltuk."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """As in test_import: files under a temporary media root, one import writer (writers
    with connections of their own would not see the test's transaction)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PARTNERS_IMPORT_WRITERS = 1


def test_the_partner_form_refuses_a_tax_number_nav_says_is_invalid(client, org):
    client.force_login(org.owner)
    with nav_service() as server:
        response = client.post(
            reverse("partners:create"), {"name": "Nincs Ilyen Kft.", "tax_number": UNKNOWN}
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Az adóhatóság (NAV) szerint ez nem érvényes adószám" in page
    assert 'value="Nincs Ilyen Kft."' in page  # what was typed is kept
    assert not Partner.objects.exists()
    assert [seen.tax_number for seen in server.requests] == ["12345676"]


@pytest.mark.parametrize("answer", ["connection refused", "timeout", "error funcCode", "http 500"])
def test_when_nav_does_not_answer_the_checksum_alone_decides_and_the_form_says_so(
    client, org, answer
):
    client.force_login(org.owner)
    tax_number = {"error funcCode": "88888888-2-41", "http 500": "99999999-2-41"}.get(
        answer, UNKNOWN
    )
    data = {"name": "Csak Számjegy Kft.", "tax_number": tax_number}
    if answer == "connection refused":
        with nav_settings(f"http://127.0.0.1:{free_port()}"):
            response = client.post(reverse("partners:create"), data, follow=True)
    else:
        with nav_service(delay=2 if answer == "timeout" else 0, timeout=1):
            response = client.post(reverse("partners:create"), data, follow=True)
    assert Partner.objects.get().tax_number == tax_number
    assert NO_ANSWER_HU in [str(m) for m in response.context["messages"]]
    # a bad check digit is still refused without NAV
    with nav_settings(f"http://127.0.0.1:{free_port()}"):
        response = client.post(
            reverse("partners:create"), {"name": "Rossz Kft.", "tax_number": "12345678-1-12"}
        )
    assert "ellenőrző számjegye hibás" in response.content.decode()


def test_the_form_shows_navs_name_and_address_for_a_valid_number(client, org):
    client.force_login(org.owner)
    with nav_service():
        page = client.get(
            reverse("partners:nav-check"), {"tax_number": "10773381 2 44", "fill": "1"}
        ).content.decode()
        assert "PÉLDA KERESKEDELMI KORLÁTOLT FELELŐSSÉGŰ TÁRSASÁG" in page
        assert "1117 BUDAPEST, IRINYI JÓZSEF UTCA 4-20." in page
        assert 'data-testid="nav-fill"' in page
        # "Fill the empty fields": NAV's name and seat go where the user typed nothing
        filled = client.post(
            reverse("partners:nav-fill"),
            {"tax_number": VALID, "name": "", "short_name": "Példa", "city": "", "street": ""},
        ).content.decode()
        response = client.post(
            reverse("partners:create"), {"name": "Példa Kft.", "tax_number": VALID}
        )
    assert 'value="PÉLDA KERESKEDELMI KORLÁTOLT FELELŐSSÉGŰ TÁRSASÁG"' in filled
    assert 'value="Példa"' in filled  # typed by the user: kept
    assert 'value="BUDAPEST"' in filled and 'value="IRINYI JÓZSEF UTCA 4-20."' in filled
    assert response.status_code == 302
    assert Partner.objects.get().tax_number == VALID


def test_the_live_check_says_invalid_unanswered_and_not_set_up_plainly(client, org):
    client.force_login(org.owner)
    url = reverse("partners:nav-check")
    with nav_service():
        invalid = client.get(url, {"tax_number": UNKNOWN}).content.decode()
    with nav_settings(f"http://127.0.0.1:{free_port()}"):
        down = client.get(url, {"tax_number": VALID}).content.decode()
    with override_settings(NAV_TAXPAYER_URL=""):
        off = client.get(url, {"tax_number": VALID}).content.decode()
    bad = client.get(url, {"tax_number": "12345678-1-12"}).content.decode()
    assert 'data-testid="nav-invalid"' in invalid and "nem érvényes adószám" in invalid
    assert NO_ANSWER_HU in down
    assert "nincs beállítva; csak az ellenőrző számjegyet vizsgáltuk" in off
    assert "ellenőrző számjegye hibás" in bad


def test_in_english_the_form_says_nav_did_not_answer(client, org):
    client.force_login(org.owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with nav_settings(f"http://127.0.0.1:{free_port()}"), translation.override("en"):
        page = client.get(reverse("partners:nav-check"), {"tax_number": VALID}).content.decode()
    assert "NAV did not answer; only the checksum was checked." in page


def test_an_unchanged_tax_number_is_not_asked_about_again_on_edit(client, org):
    partner = make_partner(org.owner, name="Régi Ügyfél Kft.", tax_number=UNKNOWN)
    client.force_login(org.owner)
    with nav_service() as server:
        response = client.post(
            reverse("partners:edit", args=[partner.pk]),
            {"name": "Régi Ügyfél Zrt.", "tax_number": UNKNOWN, "base_version": partner.version},
        )
    assert response.status_code == 302
    assert server.requests == []
    partner.refresh_from_db()
    assert partner.name == "Régi Ügyfél Zrt."


def test_the_nav_check_is_only_for_users_who_may_add_or_change_partners(client, org):
    url = reverse("partners:nav-check")
    client.force_login(org.users["outsider"])
    with nav_service() as server:
        assert client.get(url, {"tax_number": VALID}).status_code == 403
        assert client.post(reverse("partners:nav-fill"), {"tax_number": VALID}).status_code == 403
    assert server.requests == []
    client.logout()
    assert client.get(url, {"tax_number": VALID}).status_code == 302  # to the login page


def test_the_import_preview_reports_a_tax_number_nav_says_is_invalid(org):
    rows = [
        HEADERS,
        row("Alfa Kft.", VALID),
        row("Béta Kft.", UNKNOWN),
        row("Gamma Kft.", "23451672-2-09"),
        row("Delta Kft.", "12345678-1-12"),  # wrong check digit: NAV is not asked
    ]
    job = make_job(org.owner, rows)
    with translation.override("en"), nav_service() as server:
        preview = imports.preview(job, user=org.owner)
        again = imports.preview(job, user=org.owner)
        done = run(job)
    errors = dict(preview.errors)
    assert "tax number 12345676-2-41: the tax authority (NAV) says" in errors[3]
    assert set(errors) == {3, 5}
    assert preview.will_create == 2 and not preview.nav.unanswered
    assert dict(again.errors) == errors
    # each distinct number asked once: the second preview and the run use the verdicts kept
    assert sorted(seen.tax_number for seen in server.requests) == [
        "10773381",
        "12345676",
        "23451672",
    ]
    assert (done.created_count, done.failed_count) == (2, 2)
    assert not Partner.objects.filter(tax_number=UNKNOWN).exists()


def test_the_import_preview_without_navs_answer_checks_the_checksum_and_says_so(client, org):
    job = make_job(org.owner, [HEADERS, row("Alfa Kft.", VALID), row("Béta Kft.", UNKNOWN)])
    client.force_login(org.owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with nav_settings(f"http://127.0.0.1:{free_port()}"):
        preview = imports.preview(job, user=org.owner)
        page = client.get(reverse("partners:import-mapping", args=[job.pk])).content.decode()
    assert preview.errors == [] and preview.will_create == 2
    assert preview.nav.unanswered
    assert "NAV did not answer; only the checksum was checked." in page


def test_the_import_asks_nav_about_a_capped_number_of_tax_numbers(org, monkeypatch):
    monkeypatch.setattr(taxcheck, "IMPORT_MAX_NUMBERS", 2)
    rows = [HEADERS, row("A Kft.", VALID), row("B Kft.", "23451672-2-09"), row("C", UNKNOWN)]
    job = make_job(org.owner, rows)
    with nav_service() as server:
        preview = imports.preview(job, user=org.owner)
    assert len(server.requests) == 2 and preview.nav.capped
    assert preview.errors == []  # the third was checked by its checksum only


def test_the_save_right_after_a_live_check_nav_did_not_answer_does_not_ask_again(client, org):
    client.force_login(org.owner)
    with nav_service() as server:
        client.get(reverse("partners:nav-check"), {"tax_number": "88888888-2-41"})
        response = client.post(
            reverse("partners:create"),
            {"name": "Hiba Válasz Kft.", "tax_number": "88888888-2-41"},
            follow=True,
        )
    assert len(server.requests) == 1  # the save used the minute-long "no answer"
    assert NO_ANSWER_HU in [str(m) for m in response.context["messages"]]
    assert Partner.objects.filter(tax_number="88888888-2-41").exists()
