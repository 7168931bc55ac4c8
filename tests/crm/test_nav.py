"""The NAV taxpayer-query client (Online Számla v3.0 queryTaxpayer) against its fake, a real
HTTP server on loopback that reads the XML and checks the credentials as NAV does."""

import hashlib
import subprocess
from datetime import UTC, datetime

import pytest
from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from crm.integrations import nav
from crm.integrations.nav import (
    Address,
    BadAnswer,
    NotConfigured,
    Refused,
    Taxpayer,
    TimedOut,
    Unavailable,
    query_taxpayer,
)

from ..conftest import PYTHON, ROOT, free_port, subprocess_env, wait_for
from ..nav_helpers import LOGIN, PASSWORD, SIGNATURE_KEY, nav_service, nav_settings


def test_a_valid_tax_number_comes_back_with_navs_name_and_seat():
    with nav_service() as server:
        taxpayer = query_taxpayer("10773381 2 44")
    assert taxpayer == Taxpayer(
        core="10773381",
        valid=True,
        name="PÉLDA KERESKEDELMI KORLÁTOLT FELELŐSSÉGŰ TÁRSASÁG",
        short_name="PÉLDA KFT.",
        tax_number="10773381-2-44",
        addresses=(
            Address(
                kind="HQ",
                country_code="HU",
                postcode="1117",
                city="BUDAPEST",
                street="IRINYI JÓZSEF UTCA 4-20.",
            ),
        ),
    )
    assert str(taxpayer.seat) == "1117 BUDAPEST, IRINYI JÓZSEF UTCA 4-20."
    # NAV is asked about the first 8 digits only
    assert [seen.tax_number for seen in server.requests] == ["10773381"]


def test_a_number_nav_does_not_know_is_invalid():
    with nav_service():
        taxpayer = query_taxpayer("12345676-2-41")  # right checksum, no such taxpayer
    assert taxpayer == Taxpayer(core="12345676", valid=False)


def test_the_request_is_signed_and_the_password_hashed_as_nav_computes_them():
    with nav_service() as server:
        query_taxpayer("10773381-2-44")
    (seen,) = server.requests
    assert seen.login == LOGIN
    assert seen.login_ok and seen.password_ok and seen.signature_ok
    assert (seen.request_version, seen.header_version) == ("3.0", "1.0")
    # NAV's documented example: requestId + timestamp as yyyyMMddHHmmss (UTC) + signature key
    signed = nav.request_signature(
        "TSTKFT1222564",
        datetime(2017, 12, 30, 18, 25, 45, tzinfo=UTC),
        "ce-8f5e-215119fa7dd621DLMRHRLH2S",
    )
    spec = "TSTKFT122256420171230182545ce-8f5e-215119fa7dd621DLMRHRLH2S"
    assert signed == hashlib.sha3_512(spec.encode()).hexdigest().upper()
    # SHA-512 of "abc", the standard's test vector, upper-case hex
    assert nav.password_hash("abc").startswith("DDAF35A193617ABA")
    assert len(nav.password_hash(PASSWORD)) == 128


def test_the_request_xml_carries_navs_namespaces_and_fields():
    with nav_settings("http://127.0.0.1:9"):
        raw = nav.build_request(
            "10773381", request_id="CRMabc", now=datetime(2026, 11, 22, 9, 5, 7, tzinfo=UTC)
        )
    root = ElementTree.fromstring(raw)
    api, common = (
        "{http://schemas.nav.gov.hu/OSA/3.0/api}",
        "{http://schemas.nav.gov.hu/NTCA/1.0/common}",
    )
    assert root.tag == f"{api}QueryTaxpayerRequest"
    assert root.findtext(f"{common}header/{common}timestamp") == "2026-11-22T09:05:07.000Z"
    assert root.findtext(f"{common}user/{common}taxNumber") == "12345676"
    user_hash = root.find(f"{common}user/{common}passwordHash")
    assert user_hash.get("cryptoType") == "SHA-512"
    assert user_hash.text == nav.password_hash(PASSWORD)
    signature = root.find(f"{common}user/{common}requestSignature")
    assert signature.get("cryptoType") == "SHA3-512"
    assert (
        signature.text
        == hashlib.sha3_512(f"CRMabc20261122090507{SIGNATURE_KEY}".encode()).hexdigest().upper()
    )
    assert root.findtext(f"{api}software/{api}softwareId") == "HU12345676CRM-0001"
    assert root.findtext(f"{api}taxNumber") == "10773381"


def test_a_wrong_password_is_refused_by_nav_and_gives_no_verdict():
    with nav_service(password="another") as server, pytest.raises(Refused) as caught:
        query_taxpayer("10773381-2-44")
    assert not server.requests[0].password_ok
    assert "INVALID_SECURITY_USER" in str(caught.value)


def test_nav_down_connection_refused_gives_no_verdict():
    with nav_settings(f"http://127.0.0.1:{free_port()}"), pytest.raises(Unavailable) as caught:
        query_taxpayer("10773381-2-44")
    with translation.override("en"):
        assert str(caught.value.message) == "NAV did not answer; only the checksum was checked."
    with translation.override("hu"):
        assert str(caught.value.message) == (
            "A NAV nem válaszolt; csak az ellenőrző számjegyet vizsgáltuk."
        )


def test_nav_down_timeout_gives_no_verdict():
    with nav_service(delay=2, timeout=1), pytest.raises(TimedOut):
        query_taxpayer("10773381-2-44")


def test_nav_http_500_gives_no_verdict():
    with nav_service(), pytest.raises(Unavailable):
        query_taxpayer("99999999-2-41")


def test_an_error_funccode_gives_no_verdict():
    with nav_service(), pytest.raises(Refused) as caught:
        query_taxpayer("88888888-2-41")
    assert "OPERATION_FAILED" in str(caught.value)


def test_an_answer_that_is_not_xml_gives_no_verdict():
    with pytest.raises(BadAnswer):
        nav.parse_response(b"<html>maintenance", "10773381")
    # an entity bomb is refused by defusedxml, not expanded
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(BadAnswer):
        nav.parse_response(bomb, "10773381")


def test_an_answer_about_another_taxpayer_is_refused():
    with nav_service(data={"10773381": _other_taxpayer()}), pytest.raises(BadAnswer):
        query_taxpayer("10773381-2-44")


def test_without_the_setting_nav_is_not_asked_and_a_bad_number_is_refused_first():
    with override_settings(NAV_TAXPAYER_URL=""), pytest.raises(NotConfigured):
        query_taxpayer("10773381-2-44")
    with nav_service() as server, pytest.raises(ValidationError):
        query_taxpayer("10773382-2-44")  # wrong check digit
    assert server.requests == []


def _other_taxpayer() -> dict:
    from crm.integrations.nav_fake import TAXPAYERS

    return {**TAXPAYERS["23451672"]}


def test_the_fake_runs_as_a_command_with_the_demo_credentials_of_make_run():
    """As scripts/stack.py starts it for ``make run``, and with the settings it gives the CRM."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "crm.integrations.nav_fake", "--port", str(port)]
        + ["--login", "demouser1", "--password", "demo"]
        + ["--signature-key", "demo-signature-key", "--tax-number", "12345676"],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def answer():
        try:
            return query_taxpayer("23451672-2-09")
        except Unavailable:
            return None

    demo = override_settings(
        NAV_TAXPAYER_URL=f"http://127.0.0.1:{port}",
        NAV_LOGIN="demouser1",
        NAV_PASSWORD="demo",
        NAV_SIGNATURE_KEY="demo-signature-key",
        NAV_TAX_NUMBER="12345676-2-41",
    )
    try:
        with demo:
            taxpayer = wait_for(answer, timeout=30)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert taxpayer is not None, err
    assert taxpayer.valid and taxpayer.seat.city == "DEBRECEN"
    assert out.splitlines() == [f"Fake NAV taxpayer query on http://127.0.0.1:{port}/"]
