"""A fake NAV taxpayer query (Online Számla v3.0 ``queryTaxpayer``) that speaks the contract of
``nav.py``, and checks what NAV checks: the login, the password hash (SHA-512) and the request
signature (SHA3-512 of requestId + timestamp + signature key).

Run it for the demo::

    python -m crm.integrations.nav_fake --port 8766 --login demouser1 --password demo \\
        --signature-key demo-signature-key --tax-number 12345676

and set ``NAV_TAXPAYER_URL=http://127.0.0.1:8766`` with the same credentials. Tests start it in
a thread with ``make_server(port=0, ...)``; ``server.requests`` records every request it read.
Standard library only (and defusedxml, as the client).

It knows the companies of ``companyinfo_fake.COMPANIES`` as valid taxpayers; any other tax
number is invalid (``taxpayerValidity`` false). Two misbehave on purpose:

- ``99999999`` (the first 8 digits) answers HTTP 500 with no XML;
- ``88888888`` answers HTTP 200 with ``funcCode`` ERROR.
"""

import argparse
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree

from .companyinfo_fake import COMPANIES
from .nav import API, BASE, COMMON

ANSWER_500 = "99999999"
ANSWER_ERROR = "88888888"


def _taxpayer(company: dict) -> dict:
    core, vat, county = company["tax_number"].split("-")
    *name, number = company["seat"]["street"].split(" ")
    # "Irinyi József utca 4-20.": name, kind of public place, number; "Várkerület 30." has no kind
    category = name.pop() if len(name) > 1 else ""
    street_name = " ".join(name)
    return {
        "name": company["name"].upper(),  # NAV writes registered names in capitals
        "short_name": company["short_name"].upper(),
        "core": core,
        "vat": vat,
        "county": county,
        "address": {
            "countryCode": "HU",
            "postalCode": company["seat"]["postcode"],
            "city": company["seat"]["city"].upper(),
            "streetName": street_name.upper(),
            "publicPlaceCategory": category.upper(),
            "number": number,
        },
    }


TAXPAYERS = {t["core"]: t for t in (_taxpayer(c) for c in COMPANIES)}


@dataclass
class Seen:
    """One request as the fake read it: what a test asserts on."""

    tax_number: str
    login: str
    login_ok: bool
    password_ok: bool
    signature_ok: bool
    request_version: str
    header_version: str


class Handler(BaseHTTPRequestHandler):
    server: "FakeNav"

    def do_POST(self):
        if self.server.delay:
            time.sleep(self.server.delay)
        if not self.path.rstrip("/").endswith("/queryTaxpayer"):
            return self._send(404, b"")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            root = ElementTree.fromstring(self.rfile.read(min(length, 1024 * 1024)))
        except Exception:  # noqa: BLE001 - any unreadable request is one answer
            return self._send(400, _error("INVALID_REQUEST", "the request is not XML"))
        if root.tag != f"{{{API}}}QueryTaxpayerRequest":
            return self._send(400, _error("INVALID_REQUEST", "not a QueryTaxpayerRequest"))
        seen = self._verify(root)
        self.server.requests.append(seen)
        if seen.request_version != "3.0" or seen.header_version != "1.0":
            return self._send(400, _error("INVALID_REQUEST_VERSION", "not version 3.0 / 1.0"))
        if not (seen.login_ok and seen.password_ok):
            return self._send(400, _error("INVALID_SECURITY_USER", "wrong login or password"))
        if not seen.signature_ok:
            return self._send(400, _error("INVALID_REQUEST_SIGNATURE", "wrong signature"))
        if seen.tax_number == ANSWER_500:
            return self._send(500, b"Internal Server Error")
        if seen.tax_number == ANSWER_ERROR:
            return self._send(200, _error("OPERATION_FAILED", "temporary failure"))
        return self._send(200, _answer(self.server.data.get(seen.tax_number)))

    def _verify(self, root) -> Seen:
        def text(parent, namespace, name):
            element = parent.find(f"{{{namespace}}}{name}") if parent is not None else None
            return (element.text or "").strip() if element is not None else ""

        header = root.find(f"{{{COMMON}}}header")
        user = root.find(f"{{{COMMON}}}user")
        request_id, stamp = text(header, COMMON, "requestId"), text(header, COMMON, "timestamp")
        try:
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            when = None
        expected_signature = (
            hashlib.sha3_512(f"{request_id}{when:%Y%m%d%H%M%S}{self.server.signature_key}".encode())
            .hexdigest()
            .upper()
            if when
            else ""
        )
        password = hashlib.sha512(self.server.password.encode()).hexdigest().upper()
        hashed = user.find(f"{{{COMMON}}}passwordHash") if user is not None else None
        signed = user.find(f"{{{COMMON}}}requestSignature") if user is not None else None
        return Seen(
            tax_number=text(root, API, "taxNumber"),
            login=text(user, COMMON, "login"),
            login_ok=text(user, COMMON, "login") == self.server.login
            and text(user, COMMON, "taxNumber") == self.server.tax_number,
            password_ok=hashed is not None
            and hashed.get("cryptoType") == "SHA-512"
            and hmac.compare_digest(text(user, COMMON, "passwordHash"), password),
            signature_ok=bool(expected_signature)
            and signed is not None
            and signed.get("cryptoType") == "SHA3-512"
            and hmac.compare_digest(text(user, COMMON, "requestSignature"), expected_signature),
            request_version=text(header, COMMON, "requestVersion"),
            header_version=text(header, COMMON, "headerVersion"),
        )

    def _send(self, status: int, raw: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format, *args):
        """Quiet: the start line is the only output."""


def _header(root) -> None:
    header = SubElement(root, f"{{{COMMON}}}header")
    now = datetime.now(UTC)
    SubElement(header, f"{{{COMMON}}}requestId").text = "FAKE" + now.strftime("%H%M%S%f")
    SubElement(header, f"{{{COMMON}}}timestamp").text = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    SubElement(header, f"{{{COMMON}}}requestVersion").text = "3.0"
    SubElement(header, f"{{{COMMON}}}headerVersion").text = "1.0"


def _result(root, func_code: str, error_code: str = "", message: str = "") -> None:
    result = SubElement(root, f"{{{COMMON}}}result")
    SubElement(result, f"{{{COMMON}}}funcCode").text = func_code
    if error_code:
        SubElement(result, f"{{{COMMON}}}errorCode").text = error_code
        SubElement(result, f"{{{COMMON}}}message").text = message


def _software(root) -> None:
    software = SubElement(root, f"{{{API}}}software")
    for name, value in (
        ("softwareId", "HU15789934NAV-0001"),
        ("softwareName", "NAV fake"),
        ("softwareOperation", "ONLINE_SERVICE"),
        ("softwareMainVersion", "3.0"),
        ("softwareDevName", "NAV fake"),
        ("softwareDevContact", "fake@example.invalid"),
    ):
        SubElement(software, f"{{{API}}}{name}").text = value


def _error(code: str, message: str) -> bytes:
    root = Element(f"{{{API}}}GeneralErrorResponse")
    _header(root)
    _result(root, "ERROR", code, message)
    _software(root)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _answer(taxpayer: dict | None) -> bytes:
    root = Element(f"{{{API}}}QueryTaxpayerResponse")
    _header(root)
    _result(root, "OK")
    _software(root)
    SubElement(root, f"{{{API}}}infoDate").text = "2026-01-05T00:00:00.000Z"
    SubElement(root, f"{{{API}}}taxpayerValidity").text = "true" if taxpayer else "false"
    if taxpayer:
        data = SubElement(root, f"{{{API}}}taxpayerData")
        SubElement(data, f"{{{API}}}taxpayerName").text = taxpayer["name"]
        SubElement(data, f"{{{API}}}taxpayerShortName").text = taxpayer["short_name"]
        detail = SubElement(data, f"{{{API}}}taxNumberDetail")
        SubElement(detail, f"{{{BASE}}}taxpayerId").text = taxpayer["core"]
        SubElement(detail, f"{{{BASE}}}vatCode").text = taxpayer["vat"]
        SubElement(detail, f"{{{BASE}}}countyCode").text = taxpayer["county"]
        SubElement(data, f"{{{API}}}incorporation").text = "ORGANIZATION"
        item = SubElement(
            SubElement(data, f"{{{API}}}taxpayerAddressList"), f"{{{API}}}taxpayerAddressItem"
        )
        SubElement(item, f"{{{API}}}taxpayerAddressType").text = "HQ"
        address = SubElement(item, f"{{{API}}}taxpayerAddress")
        for name, value in taxpayer["address"].items():
            if value:
                SubElement(address, f"{{{BASE}}}{name}").text = value
    return tostring(root, encoding="utf-8", xml_declaration=True)


class FakeNav(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, *, login, password, signature_key, tax_number, data, delay):
        self.login = login
        self.password = password
        self.signature_key = signature_key
        self.tax_number = tax_number
        self.data = data
        self.delay = delay
        self.requests: list[Seen] = []
        super().__init__(address, Handler)


def make_server(
    port: int = 0,
    *,
    login: str = "demouser1",
    password: str = "demo",  # noqa: S107 - the fake's demo credential, not a secret
    signature_key: str = "demo-signature-key",
    tax_number: str = "12345676",
    data: dict[str, dict] | None = None,
    delay: float = 0.0,
    host: str = "127.0.0.1",
) -> FakeNav:
    """The server, bound but not yet serving: call ``serve_forever()`` (in a thread for tests)
    and ``shutdown()`` plus ``server_close()`` afterwards. ``data`` maps the first 8 digits of
    a tax number to a taxpayer (default: ``TAXPAYERS``); ``delay`` seconds pass before each
    answer."""
    return FakeNav(
        (host, port),
        login=login,
        password=password,
        signature_key=signature_key,
        tax_number=tax_number[:8],
        data=TAXPAYERS if data is None else data,
        delay=delay,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--login", default="demouser1")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--signature-key", default="demo-signature-key")
    parser.add_argument("--tax-number", default="12345676")
    args = parser.parse_args(argv)
    server = make_server(
        port=args.port,
        login=args.login,
        password=args.password,
        signature_key=args.signature_key,
        tax_number=args.tax_number,
        host=args.host,
    )
    host, port = server.server_address[:2]
    print(f"Fake NAV taxpayer query on http://{host}:{port}/", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
