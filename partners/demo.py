"""Demo partners and contacts for ``make run``: realistic Hungarian companies (valid tax
numbers, real towns and postcodes) owned by the demo sales people, with contacts, types, tags,
statuses from business events and a few user-defined attributes. Loading twice changes nothing.

Five companies of the fake company-information service (crm/integrations/
companyinfo_fake.py) are here; the others are left out so that "Fill from registry" can be
tried with their tax numbers (e.g. 25730199-2-03, Hírös Fuvar Bt.). The demo addresses are
fictional (``.example``), so no GDPR notice is queued for them.
"""

import datetime
import random
from importlib import import_module

from django.contrib.auth import get_user_model
from django.db import transaction

from crm.integrations.companyinfo_fake import COMPANIES
from crm.models import Company
from crm.validators import TAX_WEIGHTS

from .models import (
    AttributeDefinition,
    AttributeKind,
    AttributeTarget,
    Contact,
    ContactRole,
    ContactType,
    County,
    EventKind,
    Industry,
    Partner,
    PartnerFinancials,
    PartnerOwner,
    Tag,
)
from .status import record_business_event

TOWNS = [
    ("1051", "Budapest", "BU"),
    ("1138", "Budapest", "BU"),
    ("2040", "Budaörs", "PE"),
    ("2600", "Vác", "PE"),
    ("3300", "Eger", "HE"),
    ("3530", "Miskolc", "BZ"),
    ("4025", "Debrecen", "HB"),
    ("5000", "Szolnok", "JN"),
    ("6720", "Szeged", "CS"),
    ("7400", "Kaposvár", "SO"),
    ("7621", "Pécs", "BA"),
    ("8000", "Székesfehérvár", "FE"),
    ("8200", "Veszprém", "VE"),
    ("8900", "Zalaegerszeg", "ZA"),
    ("9022", "Győr", "GS"),
    ("9700", "Szombathely", "VA"),
]
STREETS = ["Fő utca", "Petőfi Sándor utca", "Kossuth Lajos utca", "Rákóczi út", "Ipari park"]
TRADES = [
    ("Építőanyag", "4673"),
    ("Informatikai", "6202"),
    ("Gépészeti", "4669"),
    ("Logisztikai", "5210"),
    ("Élelmiszer", "4690"),
    ("Villamos", "4321"),
    ("Tanácsadó", "7022"),
    ("Fémszerkezet", "2511"),
]
FORM_NAMES = {
    "Kft.": ("Korlátolt Felelősségű Társaság", "09"),
    "Zrt.": ("Zártkörűen Működő Részvénytársaság", "10"),
    "Bt.": ("Betéti Társaság", "06"),
}
# The court of registration (the registration number's first two digits: 01 Budapest, 02-20
# the counties) and the tax office (the tax number's last two: the same numbers, 41-43 in
# Budapest) of a seat's county.
COURT_OF = {
    "BU": "01", "BA": "02", "BK": "03", "BE": "04", "BZ": "05", "CS": "06", "FE": "07",
    "GS": "08", "HB": "09", "HE": "10", "KE": "11", "NO": "12", "PE": "13", "SO": "14",
    "SZ": "15", "JN": "16", "TO": "17", "VA": "18", "VE": "19", "ZA": "20",
}  # fmt: skip
TAX_OFFICE_OF = {**COURT_OF, "BU": "42"}
PREFIXES = ["Alföld", "Duna", "Tisza", "Mátra", "Balaton", "Bakony", "Pannon", "Zemplén"]
FAMILY = ["Kovács", "Szabó", "Tóth", "Nagy", "Horváth", "Varga", "Kiss", "Molnár", "Németh"]
GIVEN = ["Anna", "Péter", "Katalin", "László", "Zsuzsanna", "István", "Éva", "Gábor", "Judit"]
POSITIONS = ["ügyvezető", "beszerzési vezető", "pénzügyi vezető", "műszaki igazgató", "irodavezető"]
OWNERS = ["kovacs.anna", "toth.balazs", "horvath.zsofia", "varga.mate", "molnar.david"]
# The second own company's reps (crm.demo), owners of some shared partners there.
SECOND_OWNERS = ["balogh.adam", "papp.reka"]


def tax_number(serial: int, county: str) -> str:
    core = f"{serial:07d}"
    total = sum(int(d) * w for d, w in zip(core, TAX_WEIGHTS, strict=True))
    return f"{core}{(10 - total % 10) % 10}-2-{county}"


def _phone(rng, area: int) -> str:
    return f"+36 {area} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _ascii(text: str) -> str:
    table = str.maketrans("áéíóöőúüűÁÉÍÓÖŐÚÜŰ", "aeiooouuuAEIOOOUUU")
    return text.translate(table).lower().replace(" ", "").replace(".", "")


def _partners() -> list[dict]:
    rows = []
    for company in COMPANIES[1:6]:
        rows.append(
            {
                "name": company["name"],
                "short_name": company["short_name"],
                "tax_number": company["tax_number"],
                "eu_vat_number": company["eu_vat_number"],
                "registration_number": company["registration_number"],
                "postcode": company["seat"]["postcode"],
                "city": company["seat"]["city"],
                "street": company["seat"]["street"],
                "county": next(
                    (v for v, label in County.choices if label == company["seat"]["county"]), ""
                ),
                "industry": company["teaor"]["code"],
                "headcount": company["headcount"],
                "financials": [
                    (f["year"], f["revenue"], f["profit"]) for f in company["financials"]
                ],
            }
        )
    rng = random.Random(5)  # noqa: S311 - demo data, not security
    for index in range(25):
        prefix = PREFIXES[index % len(PREFIXES)]
        # Shifted each round of the prefixes, so no two demo companies share a name.
        trade, teaor = TRADES[(index + index // len(PREFIXES)) % len(TRADES)]
        form = ["Kft.", "Kft.", "Zrt.", "Bt."][index % 4]
        postcode, city, county = TOWNS[index % len(TOWNS)]
        short = f"{prefix}-{trade} {form}"
        rows.append(
            {
                "name": f"{prefix}-{trade} {FORM_NAMES[form][0]}",
                "short_name": short,
                "tax_number": tax_number(2_410_000 + index * 7, TAX_OFFICE_OF[county]),
                "eu_vat_number": "",
                "registration_number": f"{COURT_OF[county]}-{FORM_NAMES[form][1]}-"
                f"{100200 + index * 13:06d}",
                "postcode": postcode,
                "city": city,
                "street": f"{STREETS[index % len(STREETS)]} {rng.randint(1, 120)}.",
                "county": county,
                "industry": teaor,
                "headcount": rng.choice([4, 12, 25, 48, 90, 230]),
                "financials": [],
            }
        )
    return rows


@transaction.atomic
def ensure_contact_types() -> None:
    """The default contact types of the data migration, which a test's flush empties: the demo's
    contacts and the generator's demo templates name them."""
    defaults = import_module("partners.migrations.0002_defaults")
    for order, (hu, en, single) in enumerate(defaults.CONTACT_TYPES):
        ContactType.objects.get_or_create(
            name_hu=hu, defaults={"name_en": en, "single": single, "order": order}
        )


def load_partners() -> None:
    ensure_contact_types()
    if Partner.objects.filter(tax_number=COMPANIES[1]["tax_number"]).exists():
        return
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=OWNERS + SECOND_OWNERS + ["nagy.peter"])
    }
    companies = list(Company.objects.order_by("pk")[:2])
    if not companies or not users:
        return
    first, others = companies[0], companies[1:]
    rng = random.Random(11)  # noqa: S311 - demo data, not security
    tags = [
        Tag.objects.get_or_create(name=name, defaults={"colour": colour})[0]
        for name, colour in [
            ("Kiemelt", "danger"),
            ("Viszonteladó", "info"),
            ("Hírlevél", "success"),
        ]
    ]
    AttributeDefinition.objects.get_or_create(
        target=AttributeTarget.PARTNER,
        key="segment",
        defaults={
            "label_hu": "Szegmens",
            "label_en": "Segment",
            "kind": AttributeKind.CHOICE,
            "choices": "kkv|KKV|SME\nnagy|Nagyvállalat|Large company\n"
            "kozszfera|Közszféra|Public sector",
            "order": 1,
        },
    )
    AttributeDefinition.objects.get_or_create(
        target=AttributeTarget.CONTACT,
        key="birthday",
        defaults={"label_hu": "Születésnap", "label_en": "Birthday", "kind": AttributeKind.DATE},
    )
    types = list(ContactType.objects.order_by("order"))
    industries = {i.code: i for i in Industry.objects.all()}
    owners = [users[name] for name in OWNERS if name in users]
    second_owners = [users[name] for name in SECOND_OWNERS if name in users]
    today = datetime.date.today()  # noqa: DTZ011 - demo dates
    for index, row in enumerate(_partners()):
        domain = _ascii(row["short_name"].rsplit(" ", 1)[0]) + ".example"
        partner = Partner(
            name=row["name"],
            short_name=row["short_name"],
            tax_number=row["tax_number"],
            eu_vat_number=row["eu_vat_number"],
            registration_number=row["registration_number"],
            postcode=row["postcode"],
            city=row["city"],
            street=row["street"],
            county=row["county"],
            industry=industries.get(row["industry"]),
            headcount=row["headcount"],
            phones=[_phone(rng, rng.choice([1, 20, 30, 70]))],
            emails=[f"info@{domain}"],
            website=f"https://{domain}",
            attributes={"segment": rng.choice(["kkv", "kkv", "nagy", "kozszfera"])},
        )
        partner.full_clean()
        partner.save()
        if index % 4 == 0:
            partner.tags.add(tags[index % 3])
        for year, revenue, profit in row["financials"]:
            PartnerFinancials.objects.create(
                partner=partner, year=year, revenue=revenue, profit=profit
            )
        if index % 9 != 8:  # a few stay unassigned, in the pool
            owner = owners[index % len(owners)]
            PartnerOwner.objects.create(partner=partner, company=first, user=owner)
            if index % 7 == 0 and "nagy.peter" in users:
                PartnerOwner.objects.create(
                    partner=partner, company=first, user=users["nagy.peter"]
                )
        # The partner master is shared: the second company's reps work a third of them too.
        if others and second_owners and index % 3 == 0:
            PartnerOwner.objects.create(
                partner=partner, company=others[0], user=second_owners[index % len(second_owners)]
            )
        for number in range(1 + index % 3):
            family, given = rng.choice(FAMILY), rng.choice(GIVEN)
            contact = Contact.objects.create(
                partner=partner,
                family_name=family,
                given_name=given,
                title="dr." if rng.random() < 0.1 else "",
                position=POSITIONS[(index + number) % len(POSITIONS)],
                emails=[f"{_ascii(given)}.{_ascii(family)}@{domain}"],
                phones=[_phone(rng, 30)],
            )
            contact_type = types[(index + number) % len(types)] if types else None
            if contact_type and not (
                contact_type.single
                and ContactRole.objects.filter(partner=partner, type=contact_type).exists()
            ):
                ContactRole.objects.create(
                    contact=contact, type=contact_type, partner=partner, single=contact_type.single
                )
        # Orders and turnover: most recent ones make partners active, old ones inactive.
        if index % 3 != 2:
            months_ago = rng.choice([1, 2, 5, 8, 20, 30])
            record_business_event(
                partner=partner,
                company=first,
                kind=EventKind.TURNOVER if index % 2 else EventKind.ORDER,
                occurred_on=today - datetime.timedelta(days=30 * months_ago),
                source="demo",
                reference=f"DEMO-{index:04d}",
                amount=rng.randint(5, 900) * 100_000,
                description="Demó",
            )
