"""The partner benchmark's data set: 1,000,000 Hungarian partners and 2,000,000 contacts (at
scale 1.0), loaded with COPY and set-based SQL in a few minutes, not with ORM saves.

    from bench import partner_data
    partner_data.build(scale=0.01)   # into the database of django.db.connection

``build`` adds to a migrated database (other rows may be there: ids are taken above the
existing ones); the benchmark (``bench/partners.py``) calls ``reset`` first, in its own
database ``crm_bench_partners``. What it writes, at scale ``s``:

- two own companies; 300 users in a five-level sales hierarchy (1 director, 4 heads,
  15 managers, 60 team leads, 220 reps; every fourth person below the top has a second
  supervisor), members of both companies, the director, heads and managers in the
  "Értékesítési vezető" group, team leads and reps in "Értékesítő"; two back-office users who
  see every partner (one in "Marketing", one in "Pénzügy"). Every bench user's password is
  ``DEMO_PASSWORD``;
- ``s`` × 1,000,000 partners: names made of region/town and trade words and a company form
  (Kft., Bt., Zrt., Nyrt.), about 85 % with a valid unique tax number (check digit, VAT code,
  the tax office code of the seat's county) and a registration number, seats in real towns
  with their real postcodes and counties, streets, phones, e-mails, TEÁOR industries,
  headcounts, user-defined attributes for some;
- owners: 90 % of the partners one owner in company 1 (reps mostly, unevenly; some team leads
  and managers), 5 % two owners, 5 % none; 10 % also an owner in company 2;
- business events for about 40 % of the partners (recent ones: active; older ones: inactive)
  and their statuses, computed by ``partners.status.refresh_statuses`` (the real rule);
- about 2 × ``s`` × 1,000,000 contacts (0–4 per partner; family name first), with contact
  types for some (at most one contact per partner of a type marked ``single``);
- tags on about 4 % of the partners.

**Switched off during the bulk load, and why.** Inside the loading transaction, and enabled
again before its commit (``ALTER TABLE … DISABLE TRIGGER``, transactional):

- the django-pghistory AFTER INSERT row triggers (``pgtrigger_insert_insert_*``) of
  ``partners_partner``, ``partners_contact`` and ``partners_partnerowner``: each writes a
  history row per loaded row (some 4 million history rows nobody reads; measured at about
  0.4 ms a row, they alone would take over 20 minutes). So the bench rows have no "created"
  history entry;
- the ``search_text`` BEFORE row triggers (``pgtrigger_search_text_*``) of ``partners_partner``
  and ``partners_contact`` (about 0.1 ms a row in PL/pgSQL, 5 minutes for 3 million rows):
  the generator writes the same text itself (``partner_search_text``, ``contact_search_text``),
  and ``verify`` compares every row with the expression the triggers assign, read from their
  definitions in ``partners.models`` (``trigger_expression``), and fails on any difference.

Nothing else is switched off: the statement-level visibility triggers of
``partners_partnerowner`` fill ``crm_visibility`` as in production (one trigger run per COPY
statement of owners), and those of the owners and the contacts fill the owners' search index
(``partners.search_index``), and the foreign keys are checked (made IMMEDIATE, so each COPY
statement checks its own rows instead of queueing millions of checks for the commit). The
non-unique indexes of ``partners_partner``, ``partners_contact``, ``partners_partnerowner``,
``partners_contactrole`` and ``crm_visibility`` are dropped for the load and created again
from their own definitions (``pg_get_indexdef``) in the same transaction; primary keys and
unique indexes stay and check every row. Building a trigram GIN index once is several times
faster than updating it row by row. Then ``VACUUM (ANALYZE)`` (as autovacuum would do
soon), and ``verify`` checks that every owner row has its visibility entries (the same set
``crm_viewer_pairs`` gives).
"""

from __future__ import annotations

import concurrent.futures
import datetime
import functools
import json
import random
import time
import unicodedata
from collections.abc import Callable

PARTNERS_AT_SCALE_1 = 1_000_000
LEVELS = [1, 4, 15, 60, 220]  # director, heads, managers, team leads, reps
LEVEL_NAMES = ["director", "head", "manager", "team lead", "rep"]
MANAGER_LEVELS = 3  # the first three levels are in the sales managers' group
DEMO_PASSWORD = "demo"
CHUNK = 50_000  # partners per COPY round (owners, contacts and roles follow each round)
COMPANIES = [
    ("Alföld-Pannon Kereskedelmi Kft.", 1077338, "01-09-563219"),
    ("Dunamenti Szolgáltató Zrt.", 1234567, "13-10-041877"),
]

# County letter codes of partners.models.County, with the tax office code of the county (the
# last two digits of a tax number) and the court of registration (first two of the
# registration number). Budapest companies' tax office codes are 41-44.
COUNTY_CODES = {
    "BA": "02",
    "BK": "03",
    "BE": "04",
    "BZ": "05",
    "CS": "06",
    "FE": "07",
    "GS": "08",
    "HB": "09",
    "HE": "10",
    "KE": "11",
    "NO": "12",
    "PE": "13",
    "SO": "14",
    "SZ": "15",
    "JN": "16",
    "TO": "17",
    "VA": "18",
    "VE": "19",
    "ZA": "20",
}
BUDAPEST_TAX_OFFICES = ["41", "42", "43", "44"]

# (town, postcodes, county, phone area code, weight): real towns, their real postcodes.
TOWNS = [
    (
        "Budapest",
        "1011 1013 1024 1027 1032 1036 1044 1046 1051 1054 1061 1065 1072 1074 1081 1085"
        " 1091 1095 1101 1106 1113 1117 1119 1122 1126 1132 1134 1139 1141 1145 1151 1155"
        " 1161 1163 1171 1173 1181 1183 1191 1195 1201 1203 1211 1213 1221 1223 1238",
        "BU",
        1,
        300,
    ),
    ("Debrecen", "4024 4025 4026 4027 4028 4030 4031 4032", "HB", 52, 25),
    ("Szeged", "6720 6721 6722 6723 6724 6725 6726 6728", "CS", 62, 22),
    ("Miskolc", "3525 3526 3527 3529 3530 3531 3533", "BZ", 46, 20),
    ("Pécs", "7621 7622 7623 7624 7625 7626 7627 7630 7632", "BA", 72, 18),
    ("Győr", "9021 9022 9023 9024 9025 9026 9027 9028", "GS", 96, 18),
    ("Nyíregyháza", "4400", "SZ", 42, 14),
    ("Kecskemét", "6000", "BK", 76, 14),
    ("Székesfehérvár", "8000", "FE", 22, 14),
    ("Szombathely", "9700", "VA", 94, 10),
    ("Szolnok", "5000", "JN", 56, 10),
    ("Tatabánya", "2800", "KE", 34, 8),
    ("Kaposvár", "7400", "SO", 82, 8),
    ("Érd", "2030", "PE", 23, 8),
    ("Veszprém", "8200", "VE", 88, 8),
    ("Békéscsaba", "5600", "BE", 66, 7),
    ("Zalaegerszeg", "8900", "ZA", 92, 7),
    ("Sopron", "9400", "GS", 99, 7),
    ("Eger", "3300", "HE", 36, 7),
    ("Nagykanizsa", "8800", "ZA", 93, 5),
    ("Dunaújváros", "2400", "FE", 25, 5),
    ("Hódmezővásárhely", "6800", "CS", 62, 4),
    ("Salgótarján", "3100", "NO", 32, 4),
    ("Cegléd", "2700", "PE", 53, 4),
    ("Baja", "6500", "BK", 79, 4),
    ("Ózd", "3600", "BZ", 48, 3),
    ("Vác", "2600", "PE", 27, 4),
    ("Szekszárd", "7100", "TO", 74, 4),
    ("Mosonmagyaróvár", "9200", "GS", 96, 4),
    ("Gödöllő", "2100", "PE", 28, 5),
    ("Pápa", "8500", "VE", 89, 3),
    ("Gyula", "5700", "BE", 66, 3),
    ("Hajdúböszörmény", "4220", "HB", 52, 2),
    ("Kazincbarcika", "3700", "BZ", 48, 2),
    ("Ajka", "8400", "VE", 88, 2),
    ("Esztergom", "2500", "KE", 33, 3),
    ("Jászberény", "5100", "JN", 57, 2),
    ("Kiskunfélegyháza", "6100", "BK", 76, 2),
    ("Nagykőrös", "2750", "PE", 53, 2),
    ("Orosháza", "5900", "BE", 68, 2),
    ("Szentendre", "2000", "PE", 26, 4),
    ("Dunakeszi", "2120", "PE", 27, 4),
    ("Budaörs", "2040", "PE", 23, 8),
    ("Gyöngyös", "3200", "HE", 37, 3),
    ("Keszthely", "8360", "ZA", 83, 3),
    ("Siófok", "8600", "SO", 84, 4),
    ("Tata", "2890", "KE", 34, 2),
    ("Komárom", "2900", "KE", 34, 2),
    ("Paks", "7030", "TO", 75, 2),
    ("Mohács", "7700", "BA", 69, 2),
    ("Makó", "6900", "CS", 62, 2),
    ("Kisvárda", "4600", "SZ", 45, 2),
    ("Mátészalka", "4700", "SZ", 44, 2),
    ("Balassagyarmat", "2660", "NO", 35, 2),
    ("Hatvan", "3000", "HE", 37, 2),
    ("Szigetszentmiklós", "2310", "PE", 24, 3),
    ("Tiszaújváros", "3580", "BZ", 49, 2),
    ("Karcag", "5300", "JN", 59, 1),
    ("Körmend", "9900", "VA", 94, 1),
    ("Sárvár", "9600", "VA", 95, 1),
    ("Kőszeg", "9730", "VA", 94, 1),
    ("Dombóvár", "7200", "TO", 74, 1),
    ("Marcali", "8700", "SO", 85, 1),
    ("Várpalota", "8100", "VE", 88, 1),
    ("Hajdúszoboszló", "4200", "HB", 52, 2),
    ("Szentes", "6600", "CS", 63, 1),
    ("Kalocsa", "6300", "BK", 78, 1),
    ("Monor", "2200", "PE", 29, 1),
    ("Százhalombatta", "2440", "PE", 23, 1),
    ("Bicske", "2060", "FE", 22, 1),
    ("Szarvas", "5540", "BE", 66, 1),
    ("Mezőkövesd", "3400", "BZ", 49, 1),
    ("Sátoraljaújhely", "3980", "BZ", 47, 1),
    ("Tapolca", "8300", "VE", 87, 1),
    ("Komló", "7300", "BA", 72, 1),
    ("Szigetvár", "7900", "BA", 73, 1),
]

STREETS = [
    "Kossuth Lajos utca",
    "Petőfi Sándor utca",
    "Rákóczi Ferenc út",
    "Ady Endre utca",
    "Béke tér",
    "Széchenyi István tér",
    "Dózsa György út",
    "Arany János utca",
    "Jókai Mór utca",
    "Bajcsy-Zsilinszky út",
    "Deák Ferenc utca",
    "Fő utca",
    "Szabadság tér",
    "Táncsics Mihály utca",
    "Vörösmarty utca",
    "Hunyadi János utca",
    "Bem József utca",
    "Király utca",
    "Váci út",
    "Ipari park",
    "Gyár utca",
    "Határ út",
    "Munkácsy Mihály utca",
    "Liszt Ferenc utca",
    "Bartók Béla út",
    "Kölcsey Ferenc utca",
    "Damjanich utca",
    "Szent István út",
    "Mátyás király út",
    "Toldi Miklós utca",
    "Zrínyi Miklós utca",
    "Wesselényi utca",
    "Erkel Ferenc utca",
    "Madách Imre utca",
    "Mikszáth Kálmán utca",
    "Móricz Zsigmond utca",
    "Rózsa utca",
    "Akácfa utca",
    "Szőlő utca",
    "Malom utca",
    "Vasút utca",
    "Állomás utca",
    "Kert utca",
    "Esze Tamás utca",
    "Tavasz utca",
]

REGION_WORDS = [
    "Alföldi",
    "Dunántúli",
    "Dunamenti",
    "Tiszai",
    "Tisza",
    "Duna",
    "Balaton",
    "Mátra",
    "Bükk",
    "Zemplén",
    "Pannon",
    "Pannónia",
    "Hungária",
    "Magyar",
    "Mecsek",
    "Bakony",
    "Őrségi",
    "Nyírségi",
    "Hajdúsági",
    "Kunsági",
    "Jászsági",
    "Palóc",
    "Rába",
    "Kőrös",
    "Maros",
    "Zagyva",
    "Sajó",
    "Hernád",
    "Vértes",
    "Pilis",
    "Börzsöny",
    "Kisalföldi",
    "Mezőföldi",
    "Sárközi",
    "Somogyi",
    "Zalai",
    "Vasi",
    "Baranyai",
    "Bácskai",
    "Csepeli",
    "Budai",
    "Pesti",
    "Óbudai",
    "Győri",
    "Soproni",
    "Debreceni",
    "Szegedi",
    "Pécsi",
    "Miskolci",
    "Egri",
    "Kecskeméti",
    "Szolnoki",
    "Veszprémi",
    "Fehérvári",
    "Nyíregyházi",
    "Kaposvári",
    "Szombathelyi",
    "Zalaegerszegi",
    "Békési",
    "Gyulai",
    "Váci",
    "Kelet",
    "Nyugat",
    "Észak",
    "Dél",
    "Közép",
    "Nap",
    "Hold",
    "Csillag",
    "Arany",
    "Ezüst",
    "Gyémánt",
    "Kristály",
    "Tölgy",
    "Hárs",
    "Fenyő",
    "Platán",
    "Sas",
    "Turul",
    "Szarvas",
    "Sólyom",
    "Főnix",
    "Aurora",
    "Gránit",
    "Bazalt",
    "Korona",
    "Kapu",
    "Híd",
    "Forrás",
    "Patak",
    "Völgy",
    "Hegyvidéki",
    "Mező",
    "Liget",
    "Kert",
    "Rózsa",
    "Tulipán",
    "Kárpát",
    "Alpok-Adria",
    "Rába-Mente",
    "Ipoly",
    "Dráva",
    "Sió",
]
TRADE_WORDS = [
    "Építő",
    "Építőipari",
    "Fa",
    "Faipari",
    "Fém",
    "Fémipari",
    "Gépgyártó",
    "Gép",
    "Autó",
    "Autóház",
    "Szállítmányozó",
    "Fuvarozó",
    "Logisztikai",
    "Kereskedőház",
    "Élelmiszer",
    "Pékség",
    "Hús",
    "Tej",
    "Gabona",
    "Mezőgazdasági",
    "Agrár",
    "Kertészeti",
    "Bor",
    "Pincészet",
    "Nyomda",
    "Papír",
    "Műanyag",
    "Vegyi",
    "Gyógyszer",
    "Patika",
    "Optika",
    "Elektro",
    "Villamossági",
    "Villanyszerelő",
    "Gépészeti",
    "Épületgépészeti",
    "Fűtéstechnikai",
    "Klíma",
    "Vízszerelő",
    "Festő",
    "Burkoló",
    "Tető",
    "Ablak",
    "Nyílászáró",
    "Bútor",
    "Lakberendező",
    "Textil",
    "Ruházati",
    "Cipő",
    "Informatikai",
    "Szoftver",
    "Rendszerház",
    "Telekom",
    "Hálózat",
    "Biztonságtechnikai",
    "Vagyonvédelmi",
    "Takarító",
    "Ingatlan",
    "Ingatlanfejlesztő",
    "Beruházó",
    "Tervező",
    "Mérnöki",
    "Könyvelő",
    "Könyvvizsgáló",
    "Tanácsadó",
    "Marketing",
    "Reklám",
    "Média",
    "Utazási",
    "Turisztikai",
    "Szálloda",
    "Vendéglátó",
    "Étterem",
    "Catering",
    "Egészségügyi",
    "Labor",
    "Orvostechnikai",
    "Fogászati",
    "Állatorvosi",
    "Oktatási",
    "Nyelviskola",
    "Energia",
    "Napenergia",
    "Környezetvédelmi",
    "Hulladékkezelő",
    "Újrahasznosító",
    "Acél",
    "Alumínium",
    "Kő",
    "Beton",
    "Kavics",
    "Tüzép",
    "Gumi",
    "Szerszám",
    "Csavar",
    "Irodaszer",
    "Játék",
    "Sport",
    "Kerékpár",
    "Hangszer",
    "Virág",
    "Méhészeti",
    "Halászati",
    "Erdészeti",
]
SUFFIXES = [
    "",
    "",
    "",
    " Kereskedelmi és Szolgáltató",
    " Ipari és Kereskedelmi",
    " Szolgáltató",
    " Termelő és Értékesítő",
    " Fejlesztő",
    " Holding",
    " Invest",
    " Trade",
    " Service",
    " Hungary",
    " Plusz",
    " 2000",
    " Team",
    " Center",
    " Csoport",
    " Export-Import",
]
# (form, cumulative share, registration form code)
FORMS = [("Kft.", 0.72, "09"), ("Bt.", 0.86, "06"), ("Zrt.", 0.997, "10"), ("Nyrt.", 1.0, "10")]

FAMILY_NAMES = [
    "Nagy",
    "Kovács",
    "Tóth",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Németh",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Juhász",
    "Lakatos",
    "Mészáros",
    "Oláh",
    "Simon",
    "Rácz",
    "Fekete",
    "Szilágyi",
    "Török",
    "Fehér",
    "Balázs",
    "Gál",
    "Kis",
    "Szűcs",
    "Kocsis",
    "Pintér",
    "Fodor",
    "Szalai",
    "Sipos",
    "Magyar",
    "Lukács",
    "Gulyás",
    "Biró",
    "Király",
    "Katona",
    "László",
    "Jakab",
    "Bogdán",
    "Sándor",
    "Boros",
    "Fazekas",
    "Kelemen",
    "Antal",
    "Soós",
    "Orosz",
    "Vincze",
    "Hegedűs",
    "Somogyi",
    "Deák",
    "Fülöp",
    "Veres",
    "Budai",
    "Pál",
    "Vass",
    "Bálint",
    "Hajdu",
    "Illés",
    "Vörös",
    "Székely",
    "Halász",
    "Pásztor",
    "Bakos",
    "Dudás",
    "Major",
    "Virág",
    "Orbán",
    "Barta",
    "Kozma",
    "Miklós",
    "Bognár",
    "Nemes",
    "Márton",
    "Pataki",
    "Lengyel",
    "Szekeres",
    "Csizmadia",
    "Borbély",
]
GIVEN_NAMES = [
    "László",
    "István",
    "József",
    "János",
    "Zoltán",
    "Sándor",
    "Gábor",
    "Ferenc",
    "Attila",
    "Péter",
    "Tamás",
    "Zsolt",
    "Tibor",
    "András",
    "Csaba",
    "Imre",
    "Lajos",
    "György",
    "Balázs",
    "Gyula",
    "Mihály",
    "Róbert",
    "Norbert",
    "Dániel",
    "Ádám",
    "Bence",
    "Máté",
    "Dávid",
    "Krisztián",
    "Levente",
    "Mária",
    "Erzsébet",
    "Katalin",
    "Éva",
    "Ilona",
    "Anna",
    "Zsuzsanna",
    "Margit",
    "Judit",
    "Ágnes",
    "Andrea",
    "Erika",
    "Krisztina",
    "Ildikó",
    "Eszter",
    "Tímea",
    "Anita",
    "Edit",
    "Szilvia",
    "Gabriella",
    "Mónika",
    "Viktória",
    "Nikolett",
    "Réka",
    "Nóra",
    "Dóra",
    "Petra",
    "Zsófia",
    "Orsolya",
    "Boglárka",
]
POSITIONS = [
    "ügyvezető",
    "ügyvezető igazgató",
    "pénzügyi vezető",
    "beszerzési vezető",
    "beszerző",
    "műszaki vezető",
    "értékesítési vezető",
    "irodavezető",
    "könyvelő",
    "titkárnő",
    "projektvezető",
    "raktárvezető",
    "",
]
MOBILE_PREFIXES = [20, 30, 30, 70, 31, 50]
TAGS = [
    ("VIP", "danger"),
    ("Kulcspartner", "primary"),
    ("Hírlevél", "info"),
    ("Viszonteladó", "success"),
    ("Beszállító", "secondary"),
    ("Export", "info"),
    ("Közbeszerzés", "warning"),
    ("Rendezvény 2024", "info"),
    ("Karácsonyi ajándék", "success"),
    ("Fizetési késés", "danger"),
    ("Új ügyfél", "primary"),
    ("Partnerprogram", "success"),
    ("Próbarendelés", "secondary"),
    ("Szerződött", "primary"),
    ("Visszahívandó", "warning"),
    ("Kiállító", "secondary"),
    ("Nagykereskedő", "secondary"),
    ("Franchise", "secondary"),
    ("Állami", "warning"),
    ("Önkormányzat", "warning"),
]
ATTRIBUTES = [
    ("erp_kod", "ERP-kód", "ERP code", "text", ""),
    ("fizetesi_hatarido", "Fizetési határidő (nap)", "Payment terms (days)", "number", ""),
    ("kulcspartner", "Kulcspartner", "Key account", "boolean", ""),
    (
        "szegmens",
        "Szegmens",
        "Segment",
        "choice",
        "kkv|KKV|SME\nnagyvallalat|Nagyvállalat|Large enterprise\n"
        "kozszfera|Közszféra|Public sector",
    ),
]

TAX_WEIGHTS = (9, 7, 3, 1, 9, 7, 3)


def check_digit(seven: str) -> int:
    total = sum(int(d) * w for d, w in zip(seven, TAX_WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def tax_core(serial: int) -> str:
    """The eight-digit core of a tax number: ``serial`` (seven digits) and its check digit."""
    seven = f"{serial:07d}"
    return f"{seven}{check_digit(seven)}"


def _strip_accents(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


# The accented letters of Hungarian (and a few neighbours) without their accents: enough for
# every word the generator writes; ``verify`` compares the result with PostgreSQL's unaccent.
_FOLD = str.maketrans(
    {ch: _strip_accents(ch) for ch in "áéíóöőúüűÁÉÍÓÖŐÚÜŰäÄ" if _strip_accents(ch) != ch}
)


def ascii_fold(text: str) -> str:
    """``Őrségi Kft.`` → ``orsegi kft.`` (what the search triggers' ``unaccent`` does)."""
    return text.translate(_FOLD).lower()


def partner_search_text(name: str, short: str, tax: str | None, registration: str) -> str:
    """What the partner's search_text trigger computes (``concat_ws`` skips NULLs only)."""
    parts = [name, short, None if tax is None else tax.replace("-", ""), registration]
    return ascii_fold(" ".join(p for p in parts if p is not None))


def contact_search_text(family: str, given: str, emails: list[str], phones: list[str]) -> str:
    """What the contact's search_text trigger computes: names, e-mails, phones as digits."""
    parts = [family, given, " ".join(emails)]
    if phones:
        parts.append(" ".join("".join(ch for ch in p if ch.isdigit()) for p in phones))
    return ascii_fold(" ".join(parts))


def trigger_expression(trigger) -> str:
    """The SQL expression a search_text trigger assigns, for comparisons over whole tables."""
    body = trigger.func
    expression = body[body.index(":=") + 2 : body.index(";")]
    return " ".join(expression.replace("NEW.", "").split())


@functools.lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text) if ch.isalnum())


def partner_count(scale: float) -> int:
    return max(1, round(PARTNERS_AT_SCALE_1 * scale))


# --------------------------------------------------------------------------- users


def _users(rng: random.Random) -> list[tuple[str, str, str, int]]:
    """(username, family name, given name, level) of the hierarchy, top down."""
    out, seen = [], set()
    for level, size in enumerate(LEVELS):
        for _ in range(size):
            family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
            base = f"{_slug(family)}.{_slug(given)}"
            username, n = base, 1
            while username in seen:
                n += 1
                username = f"{base}{n}"
            seen.add(username)
            out.append((username, family, given, level))
    return out


def _links(ids_by_level: list[list[int]]) -> list[tuple[int, int]]:
    """Each person below the top reports to one of the level above; every fourth to two."""
    links = []
    for level in range(1, len(ids_by_level)):
        above = ids_by_level[level - 1]
        for i, user_id in enumerate(ids_by_level[level]):
            links.append((user_id, above[i % len(above)]))
            if i % 4 == 3 and len(above) > 1:
                links.append((user_id, above[(i + 1) % len(above)]))
    return links


def _create_organisation(cursor, rng: random.Random, log) -> dict:
    from django.contrib.auth.hashers import make_password

    from crm.groups import DEFAULT_GROUPS

    company_ids = []
    for name, serial, registration in COMPANIES:
        tax = f"{tax_core(serial)}-2-{'44' if registration.startswith('01') else '13'}"
        cursor.execute(
            "INSERT INTO crm_company (name, tax_number, registration_number, is_active,"
            " created_at, updated_at) VALUES (%s, %s, %s, true, now(), now())"
            " ON CONFLICT DO NOTHING",
            [name, tax, registration],
        )
        cursor.execute("SELECT id FROM crm_company WHERE tax_number = %s", [tax])
        company_ids.append(cursor.fetchone()[0])
    password = make_password(DEMO_PASSWORD)
    people = _users(rng)
    back_office = [
        ("bench.marketing", "Marketing", "Mária", "marketing"),
        ("bench.penzugy", "Pénzügy", "Péter", "finance"),
    ]
    ids_by_level: list[list[int]] = [[] for _ in LEVELS]
    groups = {}
    for key, name in DEFAULT_GROUPS.items():
        cursor.execute("SELECT id FROM auth_group WHERE name = %s", [name])
        row = cursor.fetchone()
        groups[key] = row[0] if row else None
    memberships, group_rows = [], []
    for username, family, given, level in [*people, *back_office]:
        cursor.execute(
            "INSERT INTO crm_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined, current_company_id)"
            " VALUES (%s, false, %s, %s, %s, %s, false, true, now(), %s) RETURNING id",
            [password, username, given, family, f"{username}@bench.example", company_ids[0]],
        )
        user_id = cursor.fetchone()[0]
        memberships += [(user_id, c) for c in company_ids]
        if isinstance(level, int):
            ids_by_level[level].append(user_id)
            key = "sales_manager" if level < MANAGER_LEVELS else "sales_rep"
        else:
            key = level
        if groups.get(key):
            group_rows.append((user_id, groups[key]))
    cursor.executemany(
        "INSERT INTO crm_membership (user_id, company_id, created_at, updated_at)"
        " VALUES (%s, %s, now(), now())",
        memberships,
    )
    cursor.executemany(
        "INSERT INTO crm_user_groups (user_id, group_id) VALUES (%s, %s)", group_rows
    )
    cursor.executemany(
        "INSERT INTO crm_supervisorlink (user_id, supervisor_id, created_at)"
        " VALUES (%s, %s, now())",
        _links(ids_by_level),
    )
    log(f"  {len(people) + len(back_office)} users, two companies, hierarchy")
    return {"companies": company_ids, "levels": ids_by_level}


# --------------------------------------------------------------------------- rows


class _Picker:
    """Weighted choice by bisection over cumulative weights (faster than rng.choices)."""

    def __init__(self, items, weights, rng: random.Random):
        import bisect
        import itertools

        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.rng = rng
        self.bisect = bisect.bisect_right

    def __call__(self):
        return self.items[self.bisect(self.cum, self.rng.random() * self.total)]


def _phone(rng: random.Random, area: int) -> str:
    if area == 1:
        return f"+36 1 {rng.randint(200, 499)} {rng.randint(1000, 9999)}"
    return f"+36 {area} {rng.randint(300, 599)} {rng.randint(100, 999)}"


def _mobile(rng: random.Random) -> str:
    return f"+36 {rng.choice(MOBILE_PREFIXES)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"


def _array(values: list[str]) -> str:
    """A PostgreSQL array literal for COPY (values without quotes or backslashes)."""
    return "{" + ",".join(f'"{v}"' for v in values) + "}"


class _Generator:
    """Produces the rows of one scale, deterministically from the seed."""

    def __init__(self, scale: float, seed: int, org: dict, industries: list[int], types):
        self.rng = rng = random.Random(seed)
        self.n = partner_count(scale)
        self.org = org
        self.industries = industries
        self.company1, self.company2 = org["companies"]
        levels = org["levels"]
        # Owners: reps mostly (unevenly: some reps have three times others' share), team leads
        # and managers some.
        reps, leads, managers = levels[4], levels[3], levels[2]
        weights = [rng.lognormvariate(0, 0.45) for _ in reps]
        self.rep = _Picker(reps, weights, rng)
        self.lead = _Picker(leads, [1] * len(leads), rng)
        self.manager = _Picker(managers, [1] * len(managers), rng)
        self.town = _Picker(TOWNS, [t[4] for t in TOWNS], rng)
        self.postcodes = {t[0]: t[1].split() for t in TOWNS}
        self.now = datetime.datetime.now(datetime.UTC)
        # Unique seven-digit serials: i → 1,000,000 + i·1,234,567 mod 3,000,000 is one to one
        # (the multiplier is coprime with 3,000,000), so tax numbers never collide.
        self.serial_base = 1_000_000
        (types_single, types_multi) = types
        self.single_types = types_single
        self.multi_types = types_multi

    def owner_company1(self):
        r = self.rng.random()
        if r < 0.85:
            return self.rep()
        if r < 0.95:
            return self.lead()
        return self.manager()

    def partner(self, pid: int, index: int):
        rng = self.rng
        r = rng.random()
        if r < 0.12:
            family = rng.choice(FAMILY_NAMES)
            other = rng.choice(FAMILY_NAMES)
            stem = rng.choice(
                [f"{family} és Társa", f"{family}-{other}", f"{family} {rng.choice(TRADE_WORDS)}"]
            )
            short = ""
        else:
            region, trade = rng.choice(REGION_WORDS), rng.choice(TRADE_WORDS)
            stem = f"{region} {trade}{rng.choice(SUFFIXES)}"
            short = f"{region} {trade}" if rng.random() < 0.3 else ""
        f = rng.random()
        form, reg_form = next((name, code) for name, cum, code in FORMS if f < cum)
        name = f"{stem} {form}"
        town, _codes, county, area, _w = self.town()
        postcode = rng.choice(self.postcodes[town])
        street = f"{rng.choice(STREETS)} {rng.randint(1, 180)}."
        if rng.random() < 0.85:
            serial = self.serial_base + (index * 1_234_567) % 3_000_000
            core = tax_core(serial)
            vat = rng.choices("12345", weights=(8, 80, 10, 1, 1))[0]
            office = rng.choice(BUDAPEST_TAX_OFFICES) if county == "BU" else COUNTY_CODES[county]
            tax = f"{core}-{vat}-{office}"
            court = "01" if county == "BU" else COUNTY_CODES[county]
            registration = f"{court}-{reg_form}-{100000 + (index * 7919) % 900000:06d}"
            eu_vat = f"HU{core}" if vat in "245" and rng.random() < 0.4 else ""
        else:
            tax, registration, eu_vat = None, "", ""
        domain = _slug(stem)[:40] + ".example"
        phones = [_phone(rng, area)]
        if rng.random() < 0.3:
            phones.append(_mobile(rng))
        emails = [f"info@{domain}"] if rng.random() < 0.7 else []
        if rng.random() < 0.1:
            emails.append(f"szamla@{domain}")
        h = rng.random()
        if h < 0.2:
            headcount = None
        elif h < 0.68:
            headcount = rng.randint(1, 9)
        elif h < 0.88:
            headcount = rng.randint(10, 49)
        elif h < 0.97:
            headcount = rng.randint(50, 249)
        else:
            headcount = rng.randint(250, 5000)
        attributes = "{}"
        if rng.random() < 0.12:
            values = {"erp_kod": f"V{pid:07d}"}
            if rng.random() < 0.7:
                values["fizetesi_hatarido"] = rng.choice([8, 15, 30, 30, 45, 60])
            if rng.random() < 0.3:
                values["kulcspartner"] = rng.random() < 0.4
            if rng.random() < 0.5:
                values["szegmens"] = rng.choice(["kkv", "kkv", "kkv", "nagyvallalat", "kozszfera"])
            attributes = json.dumps(values, ensure_ascii=False)
        created = self.now - datetime.timedelta(days=rng.random() * 3650)
        updated = created + datetime.timedelta(days=rng.random() * 200)
        if updated > self.now:
            updated = self.now
        industry = rng.choice(self.industries) if self.industries and rng.random() < 0.85 else None
        row = (
            pid,
            name,
            short,
            tax,
            eu_vat,
            registration,
            postcode,
            town,
            street,
            county,
            "HU",
            _array(phones),
            _array(emails),
            f"https://www.{domain}" if rng.random() < 0.4 else "",
            industry,
            headcount,
            "Éves keretszerződés, negyedéves egyeztetés." if rng.random() < 0.05 else "",
            attributes,
            partner_search_text(name, short, tax, registration),
            created,
            updated,
            None,
            1,
        )
        return row, domain

    def round(self, first_pid: int, start: int, n: int, next_cid: int):
        """The rows of one COPY round: partners ``start`` … ``start + CHUNK``."""
        partners, owners, contacts, roles = [], [], [], []
        for index in range(start, min(n, start + CHUNK)):
            pid = first_pid + index
            row, domain = self.partner(pid, index)
            partners.append(row)
            owners += [(p, c, u, self.now, "") for p, c, u in self.owners(pid)]
            found, kinds = self.contacts(pid, domain, next_cid)
            next_cid += len(found)
            contacts += found
            roles += kinds
        return partners, owners, contacts, roles, next_cid

    def owners(self, pid: int):
        rng, rows = self.rng, []
        r = rng.random()
        count = 0 if r < 0.05 else (2 if r < 0.10 else 1)
        first = None
        for _ in range(count):
            user = self.owner_company1()
            if user == first:
                continue
            first = user
            rows.append((pid, self.company1, user))
        if rng.random() < 0.10:
            rows.append((pid, self.company2, self.rep()))
        return rows

    def contacts(self, pid: int, domain: str, first_id: int):
        """The partner's contacts (0-4) and their contact types."""
        rng = self.rng
        r = rng.random()
        count = 0 if r < 0.12 else 1 if r < 0.37 else 2 if r < 0.67 else 3 if r < 0.85 else 4
        contacts, roles = [], []
        for seq in range(count):
            cid = first_id + seq
            family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
            title = "dr." if rng.random() < 0.05 else ""
            emails = [f"{_slug(given)}.{_slug(family)}@{domain}"] if rng.random() < 0.8 else []
            phones = []
            p = rng.random()
            if p < 0.7:
                phones.append(_mobile(rng))
            elif p < 0.85:
                phones.append(f"+36 1 {rng.randint(200, 499)} {rng.randint(1000, 9999)}")
            language = "hu" if rng.random() < 0.93 else rng.choice(["en", "de"])
            created = self.now - datetime.timedelta(days=rng.random() * 3000)
            contacts.append(
                (
                    cid,
                    pid,
                    title,
                    family,
                    given,
                    rng.choice(POSITIONS),
                    _array(emails),
                    _array(phones),
                    language,
                    "",
                    "{}",
                    contact_search_text(family, given, emails, phones),
                    created,
                    created,
                    None,
                    1,
                )
            )
            # At most one contact of a single-only type per partner: the first contact may be
            # the first single type, the second the second one.
            if seq < len(self.single_types) and rng.random() < (0.4 if seq == 0 else 0.25):
                roles.append((cid, self.single_types[seq], pid, True))
            if self.multi_types and rng.random() < 0.2:
                roles.append((cid, rng.choice(self.multi_types), pid, False))
        return contacts, roles


PARTNER_COLUMNS = (
    "id, name, short_name, tax_number, eu_vat_number, registration_number, postcode, city,"
    " street, county, country, phones, emails, website, industry_id, headcount, notes,"
    " attributes, search_text, created_at, updated_at, created_by_id, version"
)
OWNER_COLUMNS = "partner_id, company_id, user_id, created_at, reason"
ROLE_COLUMNS = "contact_id, type_id, partner_id, single"
CONTACT_COLUMNS = (
    "id, partner_id, title, family_name, given_name, position, emails, phones, language,"
    " notes, attributes, search_text, created_at, updated_at, created_by_id, version"
)


def _load_triggers(cursor) -> list[tuple[str, str]]:
    """The row triggers switched off during the load: django-pghistory's AFTER INSERT ones
    and the search_text ones (see the module docstring)."""
    cursor.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE (c.relname IN ('partners_partner', 'partners_contact', 'partners_partnerowner')"
        "        AND t.tgname LIKE 'pgtrigger\\_insert\\_insert\\_%%')"
        " OR (c.relname IN ('partners_partner', 'partners_contact')"
        "     AND t.tgname LIKE 'pgtrigger\\_search\\_text\\_%%')"
    )
    return cursor.fetchall()


# Tables whose secondary indexes wait for the end of the load.
DEFERRED_INDEX_TABLES = [
    "partners_partner",
    "partners_contact",
    "partners_partnerowner",
    "partners_contactrole",
    "crm_visibility",
]


def _secondary_indexes(cursor, tables) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the non-unique indexes of ``tables``: unique ones
    (primary keys, unique constraints, the partial unique index of single-only contact types)
    stay and check every loaded row."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relname = ANY(%s) AND NOT x.indisunique",
        [list(tables)],
    )
    return cursor.fetchall()


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608 - constant
    return cursor.fetchone()[0]


def _set_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608 - constant
        f" (SELECT coalesce(max(id), 1) FROM {table}))"
    )


def reset() -> None:
    """Empties what ``build`` fills (the benchmark's own database only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE crm_visibility, partners_searchentry, partners_searchchange,"
            " partners_partner, partners_partnerowner, partners_partnerstatus,"
            " partners_businessevent, partners_contact,"
            " partners_contactrole, partners_partner_tags, partners_partnerevent,"
            " partners_contactevent, partners_partnerownerevent, crm_supervisorlink,"
            " crm_membership, crm_user_groups, crm_company, crm_user"
            " RESTART IDENTITY CASCADE"
        )


def build(scale: float = 1.0, *, seed: int = 20240501, log: Callable[[str], None] = print) -> dict:
    """Loads the data set at ``scale`` into the database of ``django.db.connection`` in one
    transaction; returns the counts, the seconds per phase and the organisation's ids."""
    from django.db import connection, transaction

    n = partner_count(scale)
    log(f"building {n:,} partners and about {2 * n:,} contacts …")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            org = _create_organisation(cursor, rng, log)
            timings["organisation"] = time.perf_counter() - started
            cursor.execute("SELECT id FROM partners_industry ORDER BY code")
            industries = [r[0] for r in cursor.fetchall()]
            cursor.execute('SELECT id, single FROM partners_contacttype ORDER BY "order", id')
            types = cursor.fetchall()
            singles = [t for t, single in types if single][:2]
            multis = [t for t, single in types if not single]
            for key, hu, en, kind, choices in ATTRIBUTES:
                cursor.execute(
                    "INSERT INTO partners_attributedefinition (target, key, label_hu, label_en,"
                    ' kind, choices, required, "order", active)'
                    " VALUES ('partner', %s, %s, %s, %s, %s, false, 0, true)"
                    " ON CONFLICT DO NOTHING",
                    [key, hu, en, kind, choices],
                )
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked per statement
            # instead of millions of checks queued for the commit (and CREATE INDEX refuses a
            # table with queued checks).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            switched_off = _load_triggers(cursor)
            for table, trigger in switched_off:
                cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
            indexes = _secondary_indexes(cursor, DEFERRED_INDEX_TABLES)
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            gen = _Generator(scale, seed, org, industries, (singles, multis))
            first_pid = _next_id(cursor, "partners_partner")
            next_cid = _next_id(cursor, "partners_contact")
            totals = {"partners": 0, "owners": 0, "contacts": 0, "roles": 0}
            phase = {"partners": 0.0, "owners": 0.0, "contacts": 0.0}
            # The next round's rows are generated in a thread while PostgreSQL works on this
            # round's (the owners' visibility trigger above all): psycopg releases the GIL
            # while it waits for the server.
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                rounds = range(0, n, CHUNK)
                pending = pool.submit(gen.round, first_pid, rounds[0], n, next_cid)
                for position in range(len(rounds)):
                    partners, owners, contacts, roles, next_cid = pending.result()
                    if position + 1 < len(rounds):
                        pending = pool.submit(
                            gen.round, first_pid, rounds[position + 1], n, next_cid
                        )
                    t0 = time.perf_counter()
                    _copy(cursor, "partners_partner", PARTNER_COLUMNS, partners)
                    t1 = time.perf_counter()
                    # One COPY statement per round: the visibility trigger runs once for it.
                    _copy(cursor, "partners_partnerowner", OWNER_COLUMNS, owners)
                    t2 = time.perf_counter()
                    _copy(cursor, "partners_contact", CONTACT_COLUMNS, contacts)
                    _copy(cursor, "partners_contactrole", ROLE_COLUMNS, roles)
                    t3 = time.perf_counter()
                    phase["partners"] += t1 - t0
                    phase["owners"] += t2 - t1
                    phase["contacts"] += t3 - t2
                    totals["partners"] += len(partners)
                    totals["owners"] += len(owners)
                    totals["contacts"] += len(contacts)
                    totals["roles"] += len(roles)
                    log(
                        f"  {totals['partners']:>9,} partners, {totals['contacts']:>9,} contacts"
                        f"  ({time.perf_counter() - started:.0f} s)"
                    )
            timings.update({f"copy {k}": v for k, v in phase.items()})
            last_pid = first_pid + n - 1
            t0 = time.perf_counter()
            for _name, definition in indexes:
                cursor.execute(definition)
            timings["indexes"] = time.perf_counter() - t0
            log(f"  indexes created again ({timings['indexes']:.0f} s)")
            for table, trigger in switched_off:
                cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')
            for table in ("partners_partner", "partners_contact", "partners_partnerowner"):
                _set_sequence(cursor, table)
            t0 = time.perf_counter()
            totals.update(_events_tags(cursor, org, first_pid, last_pid))
            timings["events, statuses, tags"] = time.perf_counter() - t0
    connection.close()  # the session settings above were LOCAL; a fresh connection anyway
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # VACUUM too, as autovacuum would soon: sets the visibility map (index-only scans of
        # crm_visibility need it) and the hint bits, so the first reads do not write.
        for table in (*DEFERRED_INDEX_TABLES, "partners_partnerstatus", "partners_businessevent"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
    timings["vacuum, analyze"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    totals.update(verify())
    timings["verify"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    log(
        f"  built in {timings['total']:.0f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in totals.items())
    )
    return {"counts": totals, "seconds": timings, "org": org, "partners": (first_pid, last_pid)}


def _copy(cursor, table: str, columns: str, rows) -> None:
    if not rows:
        return
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _events_tags(cursor, org: dict, first: int, last: int) -> dict:
    """Business events (set-based), statuses from them by the real rule, tags."""
    from partners.status import refresh_statuses

    c1, c2 = org["companies"]
    # ~25 % of partners: 1-3 events within the last year (active); ~15 %: one 13-36 months
    # ago (inactive). In company 2 the same for the partners owned there.
    cursor.execute(
        """
        INSERT INTO partners_businessevent
            (partner_id, company_id, kind, occurred_on, amount, source, reference, description)
        SELECT p.id, %(c1)s,
               (ARRAY['order', 'contract', 'turnover'])[1 + (h & 65535) %% 3],
               current_date - CASE WHEN h %% 100 < 25 THEN (k * 97 + (h & 65535)) %% 360
                                   ELSE 400 + (h & 65535) %% 700 END,
               1000 * (10 + (h & 65535) %% 5000),
               'erp', 'E' || p.id || '-' || k, ''
        FROM (SELECT id, (hashint4(id::int) & 2147483647) AS h FROM partners_partner
              WHERE id BETWEEN %(first)s AND %(last)s) p,
             LATERAL generate_series(1, CASE WHEN p.h %% 100 < 25 THEN 1 + p.h %% 3 ELSE 1 END) k
        WHERE p.h %% 100 < 40
        UNION ALL
        SELECT o.partner_id, %(c2)s, 'order',
               current_date - (hashint4(o.partner_id::int) & 1023) %% 900,
               50000, 'erp2', 'F' || o.partner_id, ''
        FROM partners_partnerowner o
        WHERE o.company_id = %(c2)s AND o.partner_id BETWEEN %(first)s AND %(last)s
          AND (hashint4(o.partner_id::int) & 2147483647) %% 10 < 4
        """,
        {"c1": c1, "c2": c2, "first": first, "last": last},
    )
    events = cursor.rowcount

    statuses = refresh_statuses()
    tag_ids = []
    for name, colour in TAGS:
        cursor.execute(
            "INSERT INTO partners_tag (name, colour) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [name, colour],
        )
        cursor.execute("SELECT id FROM partners_tag WHERE upper(name) = upper(%s)", [name])
        tag_ids.append(cursor.fetchone()[0])
    cursor.execute(
        """
        INSERT INTO partners_partner_tags (partner_id, tag_id)
        SELECT DISTINCT p.id, (%(tags)s::bigint[])[1 + (p.h >> k) %% cardinality(%(tags)s)]
        FROM (SELECT id, (hashint4(id::int + 7) & 2147483647) AS h FROM partners_partner
              WHERE id BETWEEN %(first)s AND %(last)s) p,
             generate_series(0, CASE WHEN p.h %% 100 = 0 THEN 1 ELSE 0 END) k
        WHERE p.h %% 100 < 4
        ON CONFLICT DO NOTHING
        """,
        {"tags": tag_ids, "first": first, "last": last},
    )
    return {"events": events, "statuses": statuses, "tagged": cursor.rowcount}


def verify() -> dict:
    """Checks what the load did instead of the triggers: every row's search_text is what the
    search_text trigger's expression gives, and the partners' visibility index holds exactly
    the entries of their owners (each owner and everybody above them), and the owners' search
    index what its rebuild would write. Raises on a mismatch."""
    from django.db import connection

    from partners.models import CONTACT_SEARCH_TRIGGER, PARTNER_SEARCH_TRIGGER

    with connection.cursor() as cursor:
        for table, trigger in (
            ("partners_partner", PARTNER_SEARCH_TRIGGER),
            ("partners_contact", CONTACT_SEARCH_TRIGGER),
        ):
            cursor.execute(
                f"SELECT count(*) FROM {table}"  # noqa: S608 - constant SQL
                f" WHERE search_text IS DISTINCT FROM {trigger_expression(trigger)}"
            )
            wrong = cursor.fetchone()[0]
            if wrong:
                raise RuntimeError(f"{table}: {wrong:,} rows whose search_text differs")
        cursor.execute(
            """
            WITH expected AS (
                SELECT p.viewer_id, o.company_id, o.partner_id, o.user_id
                FROM partners_partnerowner o
                JOIN crm_viewer_pairs(ARRAY(SELECT DISTINCT user_id FROM partners_partnerowner))
                  p ON p.owner_id = o.user_id
            ), actual AS (
                SELECT viewer_id, company_id, record_id, owner_id FROM crm_visibility
                WHERE tab = 'partners_partner'::regclass::oid::bigint
            )
            SELECT (SELECT count(*) FROM expected), (SELECT count(*) FROM actual),
                   (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) m)
            """
        )
        expected, actual, missing = cursor.fetchone()
    if expected != actual or missing:
        raise RuntimeError(
            f"crm_visibility for partners: {actual:,} entries, {expected:,} expected,"
            f" {missing:,} missing"
        )
    with connection.cursor() as cursor:
        # the owners' search index (partners.search_index): what its rebuild would write
        cursor.execute(
            """
            WITH expected AS (
                SELECT w.company_id, w.user_id, 1 AS kind, p.id, p.search_text
                FROM partners_partnerowner w JOIN partners_partner p ON p.id = w.partner_id
                UNION ALL
                SELECT w.company_id, w.user_id, 2, c.id, c.search_text
                FROM partners_partnerowner w JOIN partners_contact c ON c.partner_id = w.partner_id
            )
            SELECT (SELECT count(*) FROM expected), (SELECT count(*) FROM partners_searchentry),
                   (SELECT count(*) FROM (SELECT * FROM expected EXCEPT
                    SELECT company_id, owner_id, kind, record_id, search_text
                    FROM partners_searchentry) m)
            """
        )
        wanted, held, absent = cursor.fetchone()
    if wanted != held or absent:
        raise RuntimeError(
            f"partners_searchentry: {held:,} entries, {wanted:,} expected, {absent:,} missing"
        )
    return {"visibility entries": actual, "search entries": held}


def personas() -> dict[str, int]:
    """User ids of the benchmark's personas, found from the hierarchy: a rep, a team lead, a
    manager, the director (the hierarchy's roots and depths) and the see-all back office."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE d(id, depth) AS (
                SELECT u.id, 0 FROM crm_user u
                WHERE NOT EXISTS (SELECT 1 FROM crm_supervisorlink l WHERE l.user_id = u.id)
                  AND EXISTS (SELECT 1 FROM crm_supervisorlink l WHERE l.supervisor_id = u.id)
                UNION
                SELECT l.user_id, d.depth + 1 FROM crm_supervisorlink l
                JOIN d ON l.supervisor_id = d.id WHERE d.depth < 10
            )
            SELECT id, max(depth) FROM d GROUP BY id ORDER BY id
            """
        )
        by_depth: dict[int, list[int]] = {}
        for user_id, depth in cursor.fetchall():
            by_depth.setdefault(depth, []).append(user_id)
        cursor.execute("SELECT id FROM crm_user WHERE username = 'bench.marketing'")
        see_all = cursor.fetchone()
    found = {"director": by_depth[0][0]}
    # The busiest of each level: the one whose partners are the most, for a fair worst case.
    for depth, name in ((2, "manager"), (3, "team lead"), (4, "rep")):
        ids = by_depth.get(depth, [])
        if ids:
            found[name] = ids[len(ids) // 2 + (1 if depth != 2 else 0)]
    if see_all:
        found["see all"] = see_all[0]
    return found
