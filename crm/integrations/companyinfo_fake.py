"""A fake company-information service that speaks the contract of ``companyinfo.py``.

Run it for the demo::

    python -m crm.integrations.companyinfo_fake --port 8765 [--key demo-key]

and set ``COMPANY_INFO_URL=http://127.0.0.1:8765`` (and ``COMPANY_INFO_KEY=demo-key``). Tests
start it in a thread with ``make_server(port=0, ...)``. Standard library only.

It knows the companies in ``COMPANIES``; besides them two tax numbers misbehave on purpose:

- ``99999999-2-41`` (any tax number starting ``99999999``) answers HTTP 500;
- ``88888888-2-41`` (any starting ``88888888``) answers 200 with a body that is not JSON.

Without ``--key`` every request is accepted; with it, a request without
``Authorization: Bearer <key>`` gets 401.
"""

import argparse
import hmac
import json
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER_500 = "99999999"
ANSWER_NOT_JSON = "88888888"

_FORMS = {
    "Kft.": "Korlátolt Felelősségű Társaság",
    "Zrt.": "Zártkörűen Működő Részvénytársaság",
    "Bt.": "Betéti Társaság",
}


def _company(tax_number, name, short_name, registration_number, seat, teaor, headcount, financials):
    """One answer; ``name`` is the registered name up to the company form, which is spelled out
    from the abbreviation that ends ``short_name``."""
    form = short_name.rpartition(" ")[2]
    postcode, city, street, county = seat
    return {
        "tax_number": tax_number,
        "name": f"{name} {_FORMS[form]}",
        "short_name": short_name,
        "registration_number": registration_number,
        "eu_vat_number": f"HU{tax_number[:8]}",
        "seat": {"postcode": postcode, "city": city, "street": street, "county": county},
        "teaor": {"code": teaor[0], "name": teaor[1]},
        "headcount": headcount,
        "financials": [
            {"year": year, "revenue": revenue, "profit": profit, "currency": "HUF"}
            for year, revenue, profit in financials
        ],
    }


# Invented companies at real addresses' postcodes; tax and registration numbers are well-formed.
COMPANIES = [
    _company(
        "10773381-2-44",
        "Példa Kereskedelmi",
        "Példa Kft.",
        "01-09-123456",
        ("1117", "Budapest", "Irinyi József utca 4-20.", "Budapest"),
        ("4651", "Számítógép, periféria, szoftver nagykereskedelme"),
        42,
        [
            (2025, 1_234_000_000, 56_000_000),
            (2024, 1_108_500_000, 41_200_000),
            (2023, 987_300_000, 38_900_000),
        ],
    ),
    _company(
        "23451672-2-09",
        "Hajdúsági Pékáru Gyártó és Kereskedelmi",
        "Hajdúsági Pékáru Kft.",
        "09-09-021873",
        ("4024", "Debrecen", "Piac utca 12.", "Hajdú-Bihar"),
        ("1071", "Kenyér; friss pékáru gyártása"),
        68,
        [
            (2025, 912_400_000, 31_700_000),
            (2024, 845_900_000, 22_300_000),
            (2023, 780_100_000, 18_600_000),
        ],
    ),
    _company(
        "24893059-2-06",
        "Tisza-Szoft Informatikai",
        "Tisza-Szoft Informatikai Kft.",
        "06-09-019442",
        ("6720", "Szeged", "Kárász utca 8.", "Csongrád-Csanád"),
        ("6201", "Számítógépes programozás"),
        27,
        [(2025, 486_200_000, 71_900_000), (2024, 421_000_000, 58_400_000)],
    ),
    _company(
        "13654829-2-02",
        "Mecsek Építő",
        "Mecsek Építő Zrt.",
        "02-10-060312",
        ("7621", "Pécs", "Király utca 15.", "Baranya"),
        ("4120", "Lakó- és nem lakó épület építése"),
        154,
        [
            (2025, 6_870_000_000, -124_500_000),
            (2024, 7_245_300_000, 212_800_000),
            (2023, 6_512_900_000, 188_100_000),
        ],
    ),
    _company(
        "11402138-2-08",
        "Rába-Alkatrész Gyártó",
        "Rába-Alkatrész Gyártó Kft.",
        "08-09-004517",
        ("9021", "Győr", "Baross Gábor út 20.", "Győr-Moson-Sopron"),
        ("2932", "Közúti jármű, járműmotor alkatrészeinek gyártása"),
        312,
        [
            (2025, 14_320_000_000, 905_600_000),
            (2024, 13_871_400_000, 811_000_000),
            (2023, 12_940_200_000, 760_300_000),
        ],
    ),
    _company(
        "23187643-2-05",
        "Avas Fémszerkezet Gyártó és Szerelő",
        "Avas Fémszerkezet Kft.",
        "05-09-018226",
        ("3525", "Miskolc", "Széchenyi István út 35.", "Borsod-Abaúj-Zemplén"),
        ("2511", "Fémszerkezet gyártása"),
        45,
        [
            (2025, 1_056_700_000, 47_300_000),
            (2024, 998_200_000, 39_800_000),
            (2023, 1_102_600_000, 61_400_000),
        ],
    ),
    _company(
        "25730199-2-03",
        "Hírös Fuvar Szállítmányozási",
        "Hírös Fuvar Bt.",
        "03-06-112408",
        ("6000", "Kecskemét", "Kiskőrösi út 10.", "Bács-Kiskun"),
        ("4941", "Közúti áruszállítás"),
        9,
        [(2025, 186_400_000, 12_100_000), (2024, 171_900_000, 9_800_000)],
    ),
    _company(
        "22941503-2-07",
        "Alba Számvitel Könyvelő és Adótanácsadó",
        "Alba Számvitel Bt.",
        "07-06-011935",
        ("8000", "Székesfehérvár", "Fő utca 5.", "Fejér"),
        ("6920", "Számviteli, könyvvizsgálói, adószakértői tevékenység"),
        4,
        [(2025, 38_600_000, 9_400_000), (2024, 35_200_000, 8_100_000)],
    ),
    _company(
        "14872365-2-15",
        "Nyírségi Agrár Mezőgazdasági Termelő és Szolgáltató",
        "Nyírségi Agrár Zrt.",
        "15-10-040275",
        ("4400", "Nyíregyháza", "Kossuth tér 3.", "Szabolcs-Szatmár-Bereg"),
        ("0111", "Gabonaféle (kivéve: rizs), hüvelyes növény, olajos mag termesztése"),
        86,
        [
            (2025, 2_410_800_000, 96_300_000),
            (2024, 2_688_100_000, 143_700_000),
            (2023, 2_905_400_000, 201_900_000),
        ],
    ),
    _company(
        "26195443-2-10",
        "Egri Dombok Pincészet Bortermelő",
        "Egri Dombok Pincészet Kft.",
        "10-09-035118",
        ("3300", "Eger", "Széchenyi István utca 20.", "Heves"),
        ("1102", "Szőlőbor termelése"),
        18,
        [
            (2025, 264_900_000, 18_200_000),
            (2024, 249_300_000, -3_600_000),
            (2023, 231_700_000, 7_900_000),
        ],
    ),
    _company(
        "24058715-2-19",
        "Bakony Villamos Villanyszerelő és Kereskedelmi",
        "Bakony Villamos Kft.",
        "19-09-516344",
        ("8200", "Veszprém", "Óváros tér 2.", "Veszprém"),
        ("4321", "Villanyszerelés"),
        23,
        [(2025, 312_500_000, 26_800_000), (2024, 287_400_000, 21_300_000)],
    ),
    _company(
        "14529634-2-08",
        "Fertőpart Vendéglátó és Idegenforgalmi",
        "Fertőpart Vendéglátó Kft.",
        "08-09-013772",
        ("9400", "Sopron", "Várkerület 30.", "Győr-Moson-Sopron"),
        ("5510", "Szállodai szolgáltatás"),
        37,
        [
            (2025, 498_300_000, 44_600_000),
            (2024, 461_700_000, 35_100_000),
            (2023, 402_900_000, 12_400_000),
        ],
    ),
]

_PATH_RE = re.compile(r"^/companies/(\d{8})/?$")


class Handler(BaseHTTPRequestHandler):
    server: "FakeServer"

    def do_GET(self):
        if self.server.delay:
            time.sleep(self.server.delay)
        key = self.server.key
        if key and not hmac.compare_digest(
            self.headers.get("Authorization", "").encode(), f"Bearer {key}".encode()
        ):
            return self._send(401, {"error": "unauthorized"})
        match = _PATH_RE.match(self.path)
        if not match:
            return self._send(404, {"error": "not found"})
        core = match.group(1)
        if core == ANSWER_500:
            return self._send(500, {"error": "internal error"})
        if core == ANSWER_NOT_JSON:
            return self._send(200, b"<html><body>Maintenance</body></html>")
        company = self.server.data.get(core)
        if company is None:
            return self._send(404, {"error": "no such company"})
        return self._send(200, company)

    def _send(self, status: int, body) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format, *args):
        """Quiet: the start line is the only output."""


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, *, key, data, delay):
        self.key = key
        self.data = data
        self.delay = delay
        super().__init__(address, Handler)


def make_server(
    port: int = 0,
    key: str | None = None,
    data: dict[str, dict] | None = None,
    delay: float = 0.0,
    host: str = "127.0.0.1",
) -> FakeServer:
    """The server, bound but not yet serving: call ``serve_forever()`` (in a thread for tests)
    and ``shutdown()`` plus ``server_close()`` afterwards. ``data`` maps the first 8 digits of a
    tax number to the answer (default: ``COMPANIES``); ``delay`` seconds pass before each answer.
    """
    if data is None:
        data = {company["tax_number"][:8]: company for company in COMPANIES}
    return FakeServer((host, port), key=key, data=data, delay=delay)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default=None, help="the bearer key to require (default: none)")
    args = parser.parse_args(argv)
    server = make_server(port=args.port, key=args.key, host=args.host)
    host, port = server.server_address[:2]
    print(f"Fake company-information service on http://{host}:{port}/", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
