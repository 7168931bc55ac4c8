"""Company information by Hungarian tax number, from a web service (the role Bisnode plays).

The contract, over HTTP/JSON::

    GET {COMPANY_INFO_URL}/companies/{the first 8 digits of the tax number}
    Authorization: Bearer {COMPANY_INFO_KEY}

200 answers one company::

    {"tax_number": "10773381-2-44",
     "name": "Példa Kereskedelmi Korlátolt Felelősségű Társaság",
     "short_name": "Példa Kft.",
     "registration_number": "01-09-123456",
     "eu_vat_number": "HU10773381",
     "seat": {"postcode": "1117", "city": "Budapest", "street": "Irinyi József utca 4-20.",
              "county": "Budapest"},
     "teaor": {"code": "4651", "name": "Számítógép, periféria, szoftver nagykereskedelme"},
     "headcount": 42,
     "financials": [{"year": 2025, "revenue": 1234000000, "profit": 56000000,
                     "currency": "HUF"}]}

``tax_number`` and ``name`` are required, every other field may be missing or null. 404 means
there is no such company, 401 or 403 a wrong key, any other status that the service is
unavailable. ``lookup`` turns each outcome into a ``CompanyInfo`` or one ``CompanyInfoError``
subclass whose ``message`` can be shown to the user; ``str(error)`` is the technical detail.

``companyinfo_fake.py`` is a local server that speaks this contract, for tests and the demo.
"""

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.validators import normalise_registration_number, normalise_tax_number

logger = logging.getLogger(__name__)

MAX_TEXT = 300  # characters in any one text field of an answer
MAX_BYTES = 1024 * 1024  # of a whole answer
MAX_AMOUNT = 10**15  # HUF; far above any Hungarian company's revenue, inside a bigint


class CompanyInfoError(Exception):
    """The lookup failed; ``message`` says so to the user, ``str(error)`` to the log."""

    message = _("The company-information service could not be used; fill in the form by hand.")


class NotConfigured(CompanyInfoError):
    message = _("No company-information service is set up; fill in the form by hand.")


class NotFound(CompanyInfoError):
    message = _("The company-information service knows no company with this tax number.")


class Unauthorized(CompanyInfoError):
    message = _(
        "The company-information service refused our access key; "
        "ask an administrator to check it, and fill in the form by hand meanwhile."
    )


class Unavailable(CompanyInfoError):
    message = _(
        "The company-information service is not available at the moment; "
        "try again later or fill in the form by hand."
    )


class TimedOut(CompanyInfoError):
    message = _(
        "The company-information service did not answer in time; "
        "try again later or fill in the form by hand."
    )


class BadAnswer(CompanyInfoError):
    message = _(
        "The company-information service sent an answer that cannot be read; "
        "fill in the form by hand."
    )


@dataclass(frozen=True)
class Address:
    postcode: str
    city: str
    street: str
    county: str


@dataclass(frozen=True)
class Financials:
    """One business year; amounts in whole forints (HUF), ``profit`` negative for a loss."""

    year: int
    revenue: int | None
    profit: int | None


@dataclass(frozen=True)
class CompanyInfo:
    tax_number: str  # normalised: 12345676-2-41
    name: str  # the full registered name
    short_name: str
    registration_number: str  # normalised: 01-09-123456, or ""
    eu_vat_number: str
    seat: Address | None
    teaor_code: str  # main activity (TEÁOR), e.g. "4651"
    teaor_name: str
    headcount: int | None
    financials: tuple[Financials, ...]  # newest year first


def lookup(tax_number: str) -> CompanyInfo:
    """The company with this tax number. Raises ``django.core.exceptions.ValidationError`` for
    a malformed tax number (before asking anybody), else a ``CompanyInfoError`` subclass."""
    core = normalise_tax_number(tax_number)[:8]
    if not settings.COMPANY_INFO_URL:
        raise NotConfigured("COMPANY_INFO_URL is not set")
    try:
        return _parse(_fetch(core), core)
    except NotFound:
        raise
    except CompanyInfoError as exc:
        logger.warning("Company-information lookup of %s failed: %s", core, exc)
        raise


def _fetch(core: str):
    url = f"{settings.COMPANY_INFO_URL.rstrip('/')}/companies/{core}"
    headers = {"Accept": "application/json"}
    if settings.COMPANY_INFO_KEY:
        headers["Authorization"] = f"Bearer {settings.COMPANY_INFO_KEY}"
    try:
        response = requests.get(
            url, headers=headers, timeout=settings.COMPANY_INFO_TIMEOUT, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise TimedOut(f"{url}: {exc}") from exc
    except requests.RequestException as exc:
        raise Unavailable(f"{url}: {exc}") from exc
    status = response.status_code
    if status == 404:
        raise NotFound(f"{url}: HTTP 404")
    if status in (401, 403):
        raise Unauthorized(f"{url}: HTTP {status}")
    if status != 200:
        raise Unavailable(f"{url}: HTTP {status}")
    if len(response.content) > MAX_BYTES:
        raise BadAnswer(f"{url}: the answer is larger than {MAX_BYTES} bytes")
    try:
        return response.json()
    except ValueError as exc:
        raise BadAnswer(f"{url}: the answer is not JSON") from exc


def _parse(data, core: str) -> CompanyInfo:
    if not isinstance(data, dict):
        raise BadAnswer("the answer is not a JSON object")
    try:
        tax_number = normalise_tax_number(_text(data, "tax_number", required=True))
    except ValidationError as exc:
        raise BadAnswer(f"tax_number is not a valid tax number: {exc.messages[0]}") from None
    if tax_number[:8] != core:
        raise BadAnswer(f"asked for {core}, the answer is about {tax_number}")
    registration_number = _text(data, "registration_number")
    if registration_number:
        try:
            registration_number = normalise_registration_number(registration_number)
        except ValidationError as exc:
            raise BadAnswer(f"registration_number is not valid: {exc.messages[0]}") from None
    seat = _object(data, "seat")
    teaor = _object(data, "teaor") or {}
    headcount = _whole(data, "headcount")
    if headcount is not None and headcount < 0:
        raise BadAnswer("headcount is negative")
    return CompanyInfo(
        tax_number=tax_number,
        name=_text(data, "name", required=True),
        short_name=_text(data, "short_name"),
        registration_number=registration_number,
        eu_vat_number=_text(data, "eu_vat_number"),
        seat=Address(
            postcode=_text(seat, "postcode"),
            city=_text(seat, "city"),
            street=_text(seat, "street"),
            county=_text(seat, "county"),
        )
        if seat
        else None,
        teaor_code=_text(teaor, "code"),
        teaor_name=_text(teaor, "name"),
        headcount=headcount,
        financials=_financials(data.get("financials")),
    )


def _financials(value) -> tuple[Financials, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadAnswer("financials is not a list of objects")
    years = []
    for item in value:
        currency = _text(item, "currency") or "HUF"
        if currency != "HUF":
            raise BadAnswer(f"financials in {currency}, not HUF")
        year = _whole(item, "year", required=True)
        if not 1900 <= year <= 2200:
            raise BadAnswer(f"financials for the year {year}")
        years.append(
            Financials(year=year, revenue=_whole(item, "revenue"), profit=_whole(item, "profit"))
        )
    return tuple(sorted(years, key=lambda f: f.year, reverse=True))


def _text(data: dict, key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadAnswer(f"{key} is not a string")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise BadAnswer(f"{key} is longer than {MAX_TEXT} characters")
    if required and not value:
        raise BadAnswer(f"{key} is missing")
    return value


def _whole(data: dict, key: str, *, required: bool = False) -> int | None:
    value = data.get(key)
    if value is None:
        if required:
            raise BadAnswer(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadAnswer(f"{key} is not a whole number")
    if abs(value) >= MAX_AMOUNT:
        raise BadAnswer(f"{key} is out of range")
    return value


def _object(data: dict, key: str) -> dict | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise BadAnswer(f"{key} is not an object")
    return value
