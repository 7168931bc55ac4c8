"""Sales demo data for ``make run``: a catalogue of heating and building-services products and
services, a general price list and a resellers' one, discount rules of every kind, two
registered subcontractors, and opportunities of the demo reps in every stage of the first
company, with lines. Loading twice changes nothing (it stops when opportunities exist)."""

import datetime
import random
from decimal import Decimal as D
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from crm.models import Company
from partners.models import Partner, PartnerOwner, Tag

from .models import (
    DiscountRule,
    Opportunity,
    OpportunityLine,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    Quote,
    SalesSettings,
    Subcontractor,
)
from .pipeline import opportunity_move, stages_of
from .quotes import quote_from_opportunity, quote_set_status
from .services import line_save, opportunity_create

REPS = ["kovacs.anna", "toth.balazs", "horvath.zsofia", "varga.mate", "molnar.david"]

CATEGORIES = [
    ("kazan", "Kazánok", "Boilers"),
    ("hoszivattyu", "Hőszivattyúk", "Heat pumps"),
    ("szerelveny", "Szerelvények", "Fittings"),
    ("szolgaltatas", "Szolgáltatások", "Services"),
]

# code, Hungarian, English, kind, unit, VAT, category, HUF, EUR
PRODUCTS = [
    (
        "KAZ-24",
        "Kondenzációs kazán 24 kW",
        "Condensing boiler 24 kW",
        "product",
        "db",
        "27",
        "kazan",
        "689000",
        "1790",
    ),
    (
        "KAZ-35",
        "Kondenzációs kazán 35 kW",
        "Condensing boiler 35 kW",
        "product",
        "db",
        "27",
        "kazan",
        "845000",
        "2190",
    ),
    (
        "HSZ-08",
        "Levegő-víz hőszivattyú 8 kW",
        "Air-to-water heat pump 8 kW",
        "product",
        "db",
        "27",
        "hoszivattyu",
        "1890000",
        "4890",
    ),
    (
        "HSZ-12",
        "Levegő-víz hőszivattyú 12 kW",
        "Air-to-water heat pump 12 kW",
        "product",
        "db",
        "27",
        "hoszivattyu",
        "2450000",
        "6350",
    ),
    (
        "PUF-300",
        "Puffertartály 300 l",
        "Buffer tank 300 l",
        "product",
        "db",
        "27",
        "szerelveny",
        "238500",
        "619",
    ),
    (
        "CSO-22",
        "Rézcső 22 mm",
        "Copper pipe 22 mm",
        "product",
        "m",
        "27",
        "szerelveny",
        "4890,50",
        "12.7",
    ),
    (
        "TAG-01",
        "Tágulási tartály 24 l",
        "Expansion vessel 24 l",
        "product",
        "db",
        "27",
        "szerelveny",
        "21990",
        None,
    ),
    (
        "TEL-01",
        "Telepítés, beüzemelés",
        "Installation and commissioning",
        "service",
        "óra",
        "27",
        "szolgaltatas",
        "14500",
        "38",
    ),
    (
        "KAR-01",
        "Éves karbantartási szerződés",
        "Yearly maintenance contract",
        "service",
        "hónap",
        "27",
        "szolgaltatas",
        "9900",
        None,
    ),
    (
        "TERV-01",
        "Gépészeti tervezés",
        "Building-services design",
        "service",
        "óra",
        "27",
        "szolgaltatas",
        "22000",
        "58",
    ),
    (
        "EU-SZALL",
        "Közösségen belüli szállítás",
        "Intra-community supply",
        "product",
        "db",
        "EUFAD",
        "szerelveny",
        "0",
        "0",
    ),
    (
        "ALV-FAD",
        "Építőipari alvállalkozói munka",
        "Construction subcontracting",
        "service",
        "óra",
        "FAD",
        "szolgaltatas",
        "12000",
        None,
    ),
    (
        "KAZ-OLD",
        "Hagyományos kazán 24 kW (kifutott)",
        "Atmospheric boiler (discontinued)",
        "product",
        "db",
        "27",
        "kazan",
        "399000",
        None,
    ),
]

# name, product index list with (quantity, by hand?), stage (English name), days to close
DEALS = [
    ("Irodaház fűtéskorszerűsítés", [("HSZ-12", "2"), ("PUF-300", "2"), ("TEL-01", "24")], "New"),
    (
        "Csarnok kazáncsere",
        [("KAZ-35", "3"), ("TEL-01", "30"), ("CSO-22", "120")],
        "Needs assessed",
    ),
    ("Társasház hőszivattyús rendszer", [("HSZ-08", "6"), ("TERV-01", "16")], "Quoted"),
    ("Iskola karbantartási szerződés", [("KAR-01", "12")], "Negotiation"),
    ("Panzió kazánok", [("KAZ-24", "2"), ("TAG-01", "2"), ("TEL-01", "12")], "Won"),
    ("Üzemcsarnok fűtés", [("KAZ-35", "2"), ("CSO-22", "60")], "Lost"),
    ("Óvoda felújítás", [("KAZ-24", "1"), ("TEL-01", "8")], "Quoted"),
    ("Raktár temperálás", [("HSZ-08", "2"), ("PUF-300", "1")], "New"),
    ("Rendelőintézet gépészet", [("TERV-01", "40"), ("HSZ-12", "1")], "Negotiation"),
    ("Szálloda hőközpont", [("KAZ-35", "4"), ("PUF-300", "2"), ("TEL-01", "40")], "Needs assessed"),
]
COMPETITORS = ["Thermo-Plus Kft.", "Hőtechnika Zrt.", "Klíma-Centrum Bt."]


def _number(text):
    return D(text.replace(",", ".")) if text is not None else None


def load_sales() -> None:
    if Opportunity.objects.exists():
        return
    company = Company.objects.order_by("pk").first()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=REPS)}
    if company is None or not users:
        return
    categories = {
        code: ProductCategory.objects.get_or_create(
            code=code, defaults={"name_hu": hu, "name_en": en, "order": index}
        )[0]
        for index, (code, hu, en) in enumerate(CATEGORIES)
    }
    products = {}
    for code, hu, en, kind, unit, vat, category, huf, eur in PRODUCTS:
        products[code] = Product.objects.get_or_create(
            code=code,
            defaults={
                "name_hu": hu,
                "name_en": en,
                "kind": kind,
                "unit": unit,
                "vat_rate": vat,
                "category": categories[category],
                "price_huf": _number(huf),
                "price_eur": _number(eur),
                "active": code != "KAZ-OLD",
            },
        )[0]
    today = timezone.localdate()
    year_start = datetime.date(today.year, 1, 1)
    general = PriceList.objects.create(
        company=company, name=f"Általános árlista {today.year}", valid_from=year_start
    )
    for code, price in [("KAZ-24", "659000"), ("KAZ-35", "819000"), ("HSZ-08", "1849000")]:
        PriceListItem.objects.create(price_list=general, product=products[code], price=D(price))
    resellers = Tag.objects.filter(name="Viszonteladó").first()
    if resellers is not None:
        dealer = PriceList.objects.create(
            company=company, name="Viszonteladói árlista", tag=resellers, valid_from=year_start
        )
        for code, price in [("KAZ-24", "599000"), ("KAZ-35", "749000"), ("HSZ-12", "2190000")]:
            PriceListItem.objects.create(price_list=dealer, product=products[code], price=D(price))
    SalesSettings.objects.get_or_create(
        company=company, defaults={"discount_mode": "best", "manual_discount_limit": D(10)}
    )
    rules = [
        (
            "Mennyiségi kedvezmény 3 kazántól",
            "quantity",
            "4",
            {"category": categories["kazan"], "min_quantity": D(3)},
        ),
        (
            "Mennyiségi kedvezmény 100 m csőtől",
            "quantity",
            "8",
            {"product": products["CSO-22"], "min_quantity": D(100)},
        ),
        ("Hőszivattyú-akció", "category", "5", {"category": categories["hoszivattyu"]}),
        (
            "Telepítés hőszivattyúval",
            "combination",
            "15",
            {"product": products["TEL-01"], "with_product": products["HSZ-08"]},
        ),
    ]
    if resellers is not None:
        rules.append(("Viszonteladói kedvezmény", "partner", "6", {"tag": resellers}))
    for name, kind, percent, conditions in rules:
        DiscountRule.objects.create(
            company=company, name=name, kind=kind, percent=D(percent), **conditions
        )
    owners = PartnerOwner.objects.filter(company=company, user__username__in=REPS)
    rows = list(owners.select_related("partner", "user").order_by("partner__name")[:40])
    if not rows:
        return
    # two partners that are no customer of the demo deals work as subcontractors
    spare = Partner.objects.exclude(pk__in=[row.partner_id for row in rows]).order_by("name")
    for partner, trade in zip(spare[:2], ["villanyszerelés", "gépészeti szerelés"], strict=False):
        Subcontractor.objects.get_or_create(
            company=company, partner=partner, defaults={"trade": trade}
        )
    subcontractors = list(Subcontractor.objects.filter(company=company))
    stages = {s.name_en: s for s in stages_of(company.pk)}
    rng = random.Random(25)  # noqa: S311 - demo data, not security
    for index in range(len(rows)):
        row = rows[index]
        name, lines, stage_name = DEALS[index % len(DEALS)]
        opportunity = opportunity_create(
            user=row.user,
            opportunity=Opportunity(
                name=name,
                partner=row.partner,
                contact=row.partner.contacts.first(),
                expected_close=today + datetime.timedelta(days=rng.randint(10, 120)),
                source=rng.choice(["campaign", "referral", "website", "exhibition", "existing"]),
                competitors=rng.sample(COMPETITORS, rng.randint(0, 2)),
            ),
        )
        for position, (code, quantity) in enumerate(lines):
            line = OpportunityLine(product=products[code], quantity=D(quantity))
            line_save(
                user=row.user,
                opportunity=opportunity,
                line=line,
                subcontractors=[subcontractors[position % len(subcontractors)]]
                if code == "TEL-01" and subcontractors
                else None,
            )
        stage = stages[stage_name]
        if stage.name_en != "New":
            opportunity_move(
                user=row.user,
                opportunity=opportunity,
                stage=stage,
                expected_version=opportunity.version,
                lost_reason="competitor" if stage.name_en == "Lost" else "",
                note="A Thermo-Plus Kft. olcsóbb ajánlatot adott"
                if stage.name_en == "Lost"
                else "",
            )
        if stage_name == "Quoted":  # its quote went out
            quote = quote_from_opportunity(user=row.user, opportunity=opportunity)
            quote_set_status(user=row.user, quote=quote, status="sent")
    # The quote's PDF template goes into the templates folder that the document store's demo
    # makes, whose loader runs after this one (and makes nothing once any template exists):
    # so after the demo's transaction.
    transaction.on_commit(load_quote_template)


QUOTE_TEMPLATE = Path(__file__).resolve().parent / "data" / "quote_template.html"


def load_quote_template() -> None:
    """The demo's quote template ("Árajánlat (PDF)") and the PDF of one sent quote."""
    from documents import generator
    from documents.generator_models import DocumentTemplate
    from documents.models import DocumentType, Folder

    company = Company.objects.order_by("pk").first()
    author = get_user_model().objects.filter(username="szabo.gabor").first()
    folder = Folder.objects.filter(company=company, parent=None, name="Sablonok").first()
    if (
        folder is None
        or author is None
        or DocumentTemplate.objects.filter(company=company, name="Árajánlat (PDF)").exists()
    ):
        return
    template = generator.template_create(
        user=author,
        company_id=company.pk,
        name="Árajánlat (PDF)",
        uploaded=ContentFile(QUOTE_TEMPLATE.read_bytes(), name="Árajánlat.html"),
        folder=folder,
        output_type=DocumentType.OFFER,
        description="Az értékesítési lehetőség tételeiből készült árajánlat, ÁFA-összesítővel.",
    )
    quote = Quote.objects.filter(company=company, status="sent").order_by("pk").first()
    if quote is not None:
        generator.generate(template=template, kind="quote", record=quote, user=quote.owner)
