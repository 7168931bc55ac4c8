"""A Hungarian tax number checked with the tax authority (NAV): the Online Számla interface
v3.0, operation ``queryTaxpayer``.

The contract (NAV's ``invoiceApi.xsd`` v3.0 and ``common.xsd`` of NTCA 1.0)::

    POST {NAV_TAXPAYER_URL}/queryTaxpayer
    Content-Type: application/xml

    <QueryTaxpayerRequest xmlns="http://schemas.nav.gov.hu/OSA/3.0/api"
                          xmlns:common="http://schemas.nav.gov.hu/NTCA/1.0/common">
      <common:header> requestId, timestamp (UTC), requestVersion 3.0, headerVersion 1.0
      <common:user> login, passwordHash (SHA-512 of the password, upper-case hex),
                    taxNumber (our own, 8 digits), requestSignature (SHA3-512, upper-case
                    hex, of requestId + timestamp as yyyyMMddHHmmss + the signature key)
      <software> who asks (softwareId, name, operation, version, developer)
      <taxNumber> the first 8 digits of the number asked about

The answer ``QueryTaxpayerResponse`` carries ``common:result/common:funcCode`` (``OK`` or
``ERROR``), ``taxpayerValidity`` and, for a valid number, ``taxpayerData``: ``taxpayerName``,
``taxpayerShortName``, ``taxNumberDetail`` (``base:`` taxpayerId, vatCode, countyCode) and
``taxpayerAddressList/taxpayerAddressItem`` (``taxpayerAddressType`` HQ / SITE / BRANCH and
``taxpayerAddress`` with the ``base:`` fields countryCode, postalCode, city, streetName,
publicPlaceCategory, number). An error comes as ``GeneralErrorResponse`` (funcCode ERROR) with
HTTP 400 or 500.

``query_taxpayer`` turns an answer into a ``Taxpayer`` (``valid`` true or false) or raises one
``NavError`` subclass: NAV was not asked (not configured) or did not give an answer (timeout,
refused connection, HTTP 5xx, funcCode ERROR, an unreadable answer); ``message`` says so to the
user, ``str(error)`` to the log. ``nav_fake.py`` is a local server that speaks this contract.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

import requests
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.validators import normalise_tax_number

logger = logging.getLogger(__name__)

API = "http://schemas.nav.gov.hu/OSA/3.0/api"
COMMON = "http://schemas.nav.gov.hu/NTCA/1.0/common"
BASE = "http://schemas.nav.gov.hu/OSA/3.0/base"
REQUEST_VERSION = "3.0"
HEADER_VERSION = "1.0"
MAX_BYTES = 1024 * 1024  # of an answer
MAX_TEXT = 512  # characters of any one field (NAV's longest, SimpleText512)


class NavError(Exception):
    """NAV gave no verdict; ``message`` tells the user that only the checksum was checked."""

    message = _("NAV did not answer; only the checksum was checked.")


class NotConfigured(NavError):
    message = _("The tax authority (NAV) check is not set up; only the checksum was checked.")


class Unavailable(NavError):
    """Refused connection, HTTP error, 5xx."""


class TimedOut(NavError):
    pass


class Refused(NavError):
    """funcCode ERROR: NAV answered, but with an error instead of a verdict."""


class BadAnswer(NavError):
    pass


@dataclass(frozen=True)
class Address:
    kind: str  # HQ (seat), SITE, BRANCH
    country_code: str
    postcode: str
    city: str
    street: str  # streetName + publicPlaceCategory + number, as Hungarians write it

    def __str__(self) -> str:
        return ", ".join(p for p in (f"{self.postcode} {self.city}".strip(), self.street) if p)


@dataclass(frozen=True)
class Taxpayer:
    core: str  # the 8 digits asked about
    valid: bool
    name: str = ""
    short_name: str = ""
    tax_number: str = ""  # 12345676-2-41 when NAV gave the VAT and county codes
    addresses: tuple[Address, ...] = ()

    @property
    def seat(self) -> Address | None:
        """The registered seat (HQ), else the first address NAV gave."""
        for address in self.addresses:
            if address.kind == "HQ":
                return address
        return self.addresses[0] if self.addresses else None


def configured() -> bool:
    return bool(settings.NAV_TAXPAYER_URL)


def password_hash(password: str) -> str:
    return hashlib.sha512(password.encode()).hexdigest().upper()


def request_signature(request_id: str, timestamp: datetime, signature_key: str) -> str:
    text = f"{request_id}{timestamp.astimezone(UTC):%Y%m%d%H%M%S}{signature_key}"
    return hashlib.sha3_512(text.encode()).hexdigest().upper()


def software_id() -> str:
    """18 characters of ``[0-9A-Z-]``: HU, our tax number's 8 digits, then CRM-0001."""
    return f"HU{(settings.NAV_TAX_NUMBER or '00000000')[:8]}CRM-0001"


def build_request(core: str, *, request_id: str, now: datetime) -> bytes:
    root = Element(f"{{{API}}}QueryTaxpayerRequest")
    header = SubElement(root, f"{{{COMMON}}}header")
    stamp = now.astimezone(UTC)
    for name, value in (
        ("requestId", request_id),
        ("timestamp", f"{stamp:%Y-%m-%dT%H:%M:%S}.{stamp.microsecond // 1000:03d}Z"),
        ("requestVersion", REQUEST_VERSION),
        ("headerVersion", HEADER_VERSION),
    ):
        SubElement(header, f"{{{COMMON}}}{name}").text = value
    user = SubElement(root, f"{{{COMMON}}}user")
    SubElement(user, f"{{{COMMON}}}login").text = settings.NAV_LOGIN
    SubElement(user, f"{{{COMMON}}}passwordHash", cryptoType="SHA-512").text = password_hash(
        settings.NAV_PASSWORD
    )
    SubElement(user, f"{{{COMMON}}}taxNumber").text = settings.NAV_TAX_NUMBER[:8]
    SubElement(
        user, f"{{{COMMON}}}requestSignature", cryptoType="SHA3-512"
    ).text = request_signature(request_id, now, settings.NAV_SIGNATURE_KEY)
    software = SubElement(root, f"{{{API}}}software")
    for name, value in (
        ("softwareId", software_id()),
        ("softwareName", "CRM"),
        ("softwareOperation", "LOCAL_SOFTWARE"),
        ("softwareMainVersion", "1.0"),
        ("softwareDevName", "CRM"),
        ("softwareDevContact", getattr(settings, "DEFAULT_FROM_EMAIL", "") or "crm@localhost"),
    ):
        SubElement(software, f"{{{API}}}{name}").text = value
    SubElement(root, f"{{{API}}}taxNumber").text = core
    return tostring(root, encoding="utf-8", xml_declaration=True)


def query_taxpayer(tax_number: str) -> Taxpayer:
    """NAV's verdict on this tax number. Raises ``django.core.exceptions.ValidationError`` for
    a malformed one (before asking anybody), else a ``NavError`` when there is no verdict."""
    core = normalise_tax_number(tax_number)[:8]
    if not configured():
        raise NotConfigured("NAV_TAXPAYER_URL is not set")
    try:
        return parse_response(_post(core), core)
    except NavError as exc:
        logger.warning("NAV taxpayer query of %s failed: %s", core, exc)
        raise


def _post(core: str) -> bytes:
    url = f"{settings.NAV_TAXPAYER_URL.rstrip('/')}/queryTaxpayer"
    request_id = "CRM" + uuid.uuid4().hex[:27]
    body = build_request(core, request_id=request_id, now=datetime.now(UTC))
    headers = {"Content-Type": "application/xml", "Accept": "application/xml"}
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=settings.NAV_TIMEOUT, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise TimedOut(f"{url}: {exc}") from exc
    except requests.RequestException as exc:
        raise Unavailable(f"{url}: {exc}") from exc
    if len(response.content) > MAX_BYTES:
        raise BadAnswer(f"{url}: the answer is larger than {MAX_BYTES} bytes")
    if response.status_code != 200:
        code = _error_code(response.content)
        if code:
            raise Refused(f"{url}: HTTP {response.status_code}, {code}")
        raise Unavailable(f"{url}: HTTP {response.status_code}")
    return response.content


def _error_code(raw: bytes) -> str:
    """``ERROR <errorCode>: <message>`` of an error answer, or "" if it is not one."""
    try:
        root = ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return ""
    result = root.find(f"{{{COMMON}}}result")
    if result is None or _child(result, COMMON, "funcCode") != "ERROR":
        return ""
    code = _child(result, COMMON, "errorCode")
    return f"ERROR {code}: {_child(result, COMMON, 'message')}"


def parse_response(raw: bytes, core: str) -> Taxpayer:
    try:
        root = ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadAnswer(f"the answer is not XML: {exc}") from None
    result = root.find(f"{{{COMMON}}}result")
    func_code = _child(result, COMMON, "funcCode") if result is not None else ""
    if func_code == "ERROR":
        raise Refused(_error_code(raw) or "funcCode ERROR")
    if root.tag != f"{{{API}}}QueryTaxpayerResponse":
        raise BadAnswer(f"the answer is a {root.tag}, not a QueryTaxpayerResponse")
    if func_code != "OK":
        raise BadAnswer(f"funcCode is {func_code!r}")
    validity = _child(root, API, "taxpayerValidity")
    if validity not in ("", "true", "false", "1", "0"):
        raise BadAnswer(f"taxpayerValidity is {validity!r}")
    data = root.find(f"{{{API}}}taxpayerData")
    # No taxpayerValidity at all: NAV knows no such taxpayer.
    if validity not in ("true", "1"):
        return Taxpayer(core=core, valid=False)
    if data is None:
        raise BadAnswer("a valid taxpayer without taxpayerData")
    name = _child(data, API, "taxpayerName")
    if not name:
        raise BadAnswer("taxpayerName is missing")
    detail = data.find(f"{{{API}}}taxNumberDetail")
    tax_number = ""
    if detail is not None:
        taxpayer_id = _child(detail, BASE, "taxpayerId")
        if taxpayer_id and taxpayer_id != core:
            raise BadAnswer(f"asked about {core}, the answer is about {taxpayer_id}")
        vat, county = _child(detail, BASE, "vatCode"), _child(detail, BASE, "countyCode")
        if vat and county:
            tax_number = f"{core}-{vat}-{county}"
    addresses = []
    for item in data.iterfind(f"{{{API}}}taxpayerAddressList/{{{API}}}taxpayerAddressItem"):
        address = item.find(f"{{{API}}}taxpayerAddress")
        if address is None:
            continue
        street = " ".join(
            part
            for part in (
                _child(address, BASE, "streetName"),
                _child(address, BASE, "publicPlaceCategory"),
                _child(address, BASE, "number"),
            )
            if part
        )
        addresses.append(
            Address(
                kind=_child(item, API, "taxpayerAddressType") or "HQ",
                country_code=_child(address, BASE, "countryCode"),
                postcode=_child(address, BASE, "postalCode"),
                city=_child(address, BASE, "city"),
                street=street,
            )
        )
    return Taxpayer(
        core=core,
        valid=True,
        name=name,
        short_name=_child(data, API, "taxpayerShortName"),
        tax_number=tax_number,
        addresses=tuple(addresses),
    )


def _child(parent, namespace: str, name: str) -> str:
    element = parent.find(f"{{{namespace}}}{name}")
    text = " ".join((element.text or "").split()) if element is not None else ""
    if len(text) > MAX_TEXT:
        raise BadAnswer(f"{name} is longer than {MAX_TEXT} characters")
    return text
