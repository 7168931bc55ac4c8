"""The company-information client against its fake service, a real HTTP server on loopback."""

import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from crm.integrations import companyinfo_fake
from crm.integrations.companyinfo import (
    Address,
    BadAnswer,
    CompanyInfo,
    Financials,
    NotConfigured,
    NotFound,
    TimedOut,
    Unauthorized,
    Unavailable,
    lookup,
)
from crm.integrations.companyinfo_fake import COMPANIES, make_server
from crm.validators import normalise_registration_number, normalise_tax_number

from ..conftest import PYTHON, ROOT, free_port, subprocess_env, wait_for

KEY = "test-key"


@contextmanager
def service(key=KEY, data=None, delay=0.0, timeout=5):
    """The fake running in a thread, with the settings pointing at it."""
    server = make_server(port=0, key=key, data=data, delay=delay)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with override_settings(
            COMPANY_INFO_URL=url, COMPANY_INFO_KEY=KEY, COMPANY_INFO_TIMEOUT=timeout
        ):
            yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_found_company_is_parsed_fully():
    with service():
        info = lookup("10773381 2 44")
    assert info == CompanyInfo(
        tax_number="10773381-2-44",
        name="Példa Kereskedelmi Korlátolt Felelősségű Társaság",
        short_name="Példa Kft.",
        registration_number="01-09-123456",
        eu_vat_number="HU10773381",
        seat=Address(
            postcode="1117", city="Budapest", street="Irinyi József utca 4-20.", county="Budapest"
        ),
        teaor_code="4651",
        teaor_name="Számítógép, periféria, szoftver nagykereskedelme",
        headcount=42,
        financials=(
            Financials(year=2025, revenue=1_234_000_000, profit=56_000_000),
            Financials(year=2024, revenue=1_108_500_000, profit=41_200_000),
            Financials(year=2023, revenue=987_300_000, profit=38_900_000),
        ),
    )


def test_financials_come_newest_first_and_a_loss_is_negative():
    answer = dict(COMPANIES[3], financials=list(reversed(COMPANIES[3]["financials"])))
    with service(data={"13654829": answer}):
        info = lookup("13654829-2-02")
    assert [f.year for f in info.financials] == [2025, 2024, 2023]
    assert info.financials[0].profit == -124_500_000


def test_an_unknown_company_is_not_found():
    with service(), pytest.raises(NotFound):
        lookup("12345676-2-41")


def test_a_wrong_key_is_unauthorized():
    with service(key="another-key"), pytest.raises(Unauthorized):
        lookup("10773381-2-44")


def test_a_server_that_is_down_is_unavailable():
    with (
        override_settings(COMPANY_INFO_URL=f"http://127.0.0.1:{free_port()}"),
        pytest.raises(Unavailable),
    ):
        lookup("10773381-2-44")


def test_a_slow_server_times_out_without_waiting_for_it():
    started = time.monotonic()
    with service(delay=2.0, timeout=0.3), pytest.raises(TimedOut) as caught:
        lookup("10773381-2-44")
    assert time.monotonic() - started < 1.5
    with translation.override("en"):
        assert "did not answer in time" in str(caught.value.message)


def test_a_server_error_is_unavailable():
    with service(), pytest.raises(Unavailable):
        lookup(f"{companyinfo_fake.ANSWER_500}-2-41")


def test_an_answer_that_is_not_json_is_a_bad_answer():
    with service(), pytest.raises(BadAnswer):
        lookup(f"{companyinfo_fake.ANSWER_NOT_JSON}-2-41")


def test_an_answer_about_another_company_is_a_bad_answer():
    with service(data={"10773381": COMPANIES[1]}), pytest.raises(BadAnswer):
        lookup("10773381-2-44")


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"name": "  "},
        {"name": "x" * 301},
        {"headcount": "42"},
        {"headcount": True},
        {"seat": "Budapest"},
        {"teaor": {"code": 4651, "name": "x"}},
        {"financials": {"year": 2025}},
        {"financials": [{"year": 2025, "revenue": 1.5}]},
        {"financials": [{"year": 2025, "revenue": 100, "currency": "EUR"}]},
        {"tax_number": "10773382-2-44"},
        {"registration_number": "99-99-123456"},
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_bad_answer(change):
    answer = {**COMPANIES[0], **change}
    with service(data={"10773381": answer}), pytest.raises(BadAnswer):
        lookup("10773381-2-44")


def test_an_invalid_tax_number_is_refused_before_asking():
    with service(), pytest.raises(ValidationError) as caught:
        lookup("10773382-2-44")
    assert caught.value.code == "tax_number_checksum"


def test_without_a_url_the_service_is_not_configured():
    with override_settings(COMPANY_INFO_URL=""), pytest.raises(NotConfigured):
        lookup("10773381-2-44")


def test_every_fake_company_is_valid_and_readable():
    assert len(COMPANIES) >= 12
    with service():
        for company in COMPANIES:
            assert normalise_tax_number(company["tax_number"]) == company["tax_number"]
            reg = company["registration_number"]
            assert normalise_registration_number(reg) == reg
            info = lookup(company["tax_number"])
            assert info.short_name == company["short_name"]
            assert info.seat.city == company["seat"]["city"]
            assert len(info.financials) >= 2


def test_the_fake_runs_as_a_command():
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "crm.integrations.companyinfo_fake", "--port", str(port), "--key", KEY],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def answer():
        try:
            return lookup("23451672-2-09")
        except Unavailable:
            return None

    try:
        with override_settings(COMPANY_INFO_URL=f"http://127.0.0.1:{port}/", COMPANY_INFO_KEY=KEY):
            info = wait_for(answer, timeout=30)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert info is not None, err
    assert info.seat.city == "Debrecen"
    assert out.splitlines() == [f"Fake company-information service on http://127.0.0.1:{port}/"]
