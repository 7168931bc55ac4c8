"""Products and price lists: the pages, who may open them, the import, base prices."""

import datetime
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import Tag
from sales import prices
from sales.imports import import_products
from sales.models import PriceList, PriceListItem, Product, ProductCategory
from sales.numbers import parse_decimal
from tests.access import check_access
from tests.partners.conftest import make_partner

pytestmark = pytest.mark.django_db
EVERY_STAFF = {"owner", "peer", "supervisor", "second_supervisor", "boss", "superuser"}
EVERY_STAFF |= {"other_company_user"}


def make_product(code="P-1", price="1000", **fields) -> Product:
    fields.setdefault("name_hu", f"Termék {code}")
    return Product.objects.create(code=code, price_huf=D(price), **fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1234,5", "1234.5"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1.234", "1234"),
        ("12 345 678", "12345678"),
        ("-3", "-3"),
        ("0,125", "0.125"),
        ("1 234 Ft", "1234"),
    ],
)
def test_numbers_are_read_as_hungarians_type_them(text, expected):
    assert parse_decimal(text) == D(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "1 2x", "--1"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_product_pages_are_for_users_with_the_function(org, client):
    product = make_product()
    for url in (reverse("sales:products"), reverse("sales:product", args=[product.pk])):
        check_access(client, org, url, allowed=EVERY_STAFF, denied_status=(403,))


def test_only_managers_add_and_change_products(org, client):
    product = make_product()
    allowed = {"supervisor", "second_supervisor", "boss", "superuser", "other_company_user"}
    check_access(
        client, org, reverse("sales:product-create"), allowed=allowed, denied_status=(403,)
    )
    check_access(
        client,
        org,
        reverse("sales:product-edit", args=[product.pk]),
        allowed=allowed,
        denied_status=(403,),
        method="post",
        data={"code": "X"},
        ok_status=(200,),  # the form again: the post lacks the required fields
        row=product,
    )


def test_a_manager_saves_a_price_typed_the_hungarian_way(org, client):
    client.force_login(org.supervisor)
    response = client.post(
        reverse("sales:product-create"),
        {
            "code": "SRV-01",
            "name_hu": "Telepítés",
            "kind": "service",
            "unit": "óra",
            "vat_rate": "27",
            "price_huf": "12 500,50",
            "active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(code="SRV-01")
    assert product.price_huf == D("12500.50")
    page = client.get(reverse("sales:product", args=[product.pk])).content.decode()
    assert "12\xa0500,50\xa0Ft" in page


def test_a_negative_price_gets_a_message_not_a_save(org, client):
    client.force_login(org.supervisor)
    response = client.post(
        reverse("sales:product-create"),
        {
            "code": "X",
            "name_hu": "X",
            "kind": "product",
            "unit": "db",
            "vat_rate": "27",
            "price_huf": "-5",
        },
    )
    assert response.status_code == 200
    assert not Product.objects.filter(code="X").exists()
    assert "0" in response.context["form"].errors["price_huf"][0]


def test_a_stale_product_edit_is_refused(org, client):
    product = make_product(price="100")
    client.force_login(org.supervisor)
    data = {
        "code": product.code,
        "name_hu": "Új név",
        "kind": "product",
        "unit": "db",
        "vat_rate": "27",
        "price_huf": "200",
        "active": "on",
        "base_version": 1,
    }
    assert client.post(reverse("sales:product-edit", args=[product.pk]), data).status_code == 302
    data["price_huf"] = "300"
    response = client.post(reverse("sales:product-edit", args=[product.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    product.refresh_from_db()
    assert product.price_huf == D(200)


def test_the_product_list_costs_the_same_queries_for_one_row_and_fifty(org, client):
    client.force_login(org.owner)
    make_product("A-0")
    client.get(reverse("sales:products"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("sales:products"))
    for n in range(1, 50):
        make_product(
            f"A-{n:02}",
            category=ProductCategory.objects.get_or_create(code=f"c{n % 3}", name_hu=f"K{n % 3}")[
                0
            ],
        )
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("sales:products"))
    assert len(response.context["rows"]) == 50
    assert len(one) == len(fifty)


def _csv(text: str, name="termekek.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_creates_and_updates_by_code(org):
    ProductCategory.objects.create(code="szerviz", name_hu="Szerviz")
    make_product("K-1", price="10", name_en="Old")
    result = import_products(
        _csv(
            "Kód;Név;Egység;ÁFA;Kategória;Ár;Ár EUR;Aktív;Megjegyzés\n"
            "K-1;Kompresszor;db;27%;;1 234,50;;igen;x\n"
            "K-2;Karbantartás;óra;AAM;Szerviz;15000;40,5;nem;y\n"
        ),
        user=org.supervisor,
    )
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    assert result.unknown_columns == ["Megjegyzés"]
    k1, k2 = Product.objects.get(code="K-1"), Product.objects.get(code="K-2")
    assert (k1.name_hu, k1.price_huf, k1.name_en, k1.version) == (
        "Kompresszor",
        D("1234.50"),
        "Old",
        2,
    )
    assert (k2.unit, k2.vat_rate, k2.category.code, k2.price_eur, k2.active) == (
        "óra",
        "AAM",
        "szerviz",
        D("40.5"),
        False,
    )


def test_an_import_with_a_bad_row_changes_nothing_and_says_which_rows(org):
    result = import_products(
        _csv("Code;Name;VAT;Price\nA;Jó;27;100\nB;Rossz;19;100\nC;Negatív;27;-4\nA;Újra;27;1\n"),
        user=org.supervisor,
    )
    assert not Product.objects.exists()
    rows = [number for number, _message in result.errors]
    assert rows == [3, 4, 5]
    assert "19" in result.errors[0][1]


def test_import_reads_xlsx_and_refuses_other_files(org, client):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Kód", "Név", "Ár"])
    sheet.append(["X-1", "Kalapács <b>", 1234.5])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_products(SimpleUploadedFile("p.xlsx", buffer.getvalue()), user=org.supervisor)
    assert result.created == 1
    assert Product.objects.get(code="X-1").price_huf == D("1234.5")
    client.force_login(org.owner)
    page = client.get(reverse("sales:products")).content.decode()
    assert "Kalapács &lt;b&gt;" in page
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        import_products(SimpleUploadedFile("p.exe", b"MZ"), user=org.supervisor)
    with pytest.raises(ValidationError):
        import_products(_csv("Név;Ár\nx;1\n"), user=org.supervisor)  # no code column


def test_the_import_page_lists_errors_for_managers_only(org, client):
    allowed = {"supervisor", "second_supervisor", "boss", "superuser", "other_company_user"}
    check_access(
        client, org, reverse("sales:product-import"), allowed=allowed, denied_status=(403,)
    )
    client.force_login(org.supervisor)
    response = client.post(reverse("sales:product-import"), {"file": _csv("Kód;Ár\nZ;sok\n")})
    assert "Row 2" in response.content.decode() or "2. sor" in response.content.decode()


def test_the_most_specific_valid_price_list_gives_the_base_price(org):
    company = org.company
    partner = make_partner(org.owner)
    group = Tag.objects.create(name="Viszonteladók")
    partner.tags.add(group)
    anvil, hammer, nails, bolt = (make_product(c, price="1000") for c in ("A", "H", "N", "B"))
    today = datetime.date(2026, 12, 7)

    def price_list(name, items, **fields):
        pl = PriceList.objects.create(company=company, name=name, **fields)
        for product, price in items:
            PriceListItem.objects.create(price_list=pl, product=product, price=D(price))

    price_list("Általános", [(anvil, 900), (hammer, 950), (nails, 990)])
    price_list("Csoport", [(anvil, 800), (hammer, 850)], tag=group)
    price_list("Saját", [(anvil, 700)], partner=partner)
    price_list("Lejárt", [(hammer, 1)], partner=partner, valid_until=datetime.date(2026, 1, 1))
    price_list("Euró", [(nails, 1)], currency="EUR")
    PriceList.objects.create(company=org.other_company, name="Más", active=True)
    inputs = prices.inputs(
        company_id=company.pk,
        partner_id=partner.pk,
        currency="HUF",
        day=today,
        products=[anvil, hammer, nails, bolt],
    )
    got = {pk: (price, source) for pk, (price, source) in inputs.bases.items()}
    assert got[anvil.pk][0] == 700 and "Saját" in got[anvil.pk][1]
    assert got[hammer.pk][0] == 850 and "Csoport" in got[hammer.pk][1]
    assert got[nails.pk][0] == 990
    assert got[bolt.pk][0] == 1000  # the list price
    stranger = prices.inputs(
        company_id=company.pk, partner_id=None, currency="EUR", day=today, products=[nails, bolt]
    )
    assert stranger.bases[nails.pk][0] == 1
    assert bolt.pk not in stranger.bases  # no EUR price at all


def test_price_lists_and_discounts_are_the_current_companys(org, client):
    from sales.models import DiscountRule

    ours = PriceList.objects.create(company=org.company, name="Saját lista")
    theirs = PriceList.objects.create(company=org.other_company, name="Idegen lista")
    DiscountRule.objects.create(
        company=org.company, name="Nyári akció", kind="category", percent=D(5)
    )
    DiscountRule.objects.create(
        company=org.other_company, name="Más cég akciója", kind="category", percent=D(7)
    )
    everyone = EVERY_STAFF
    for url in (reverse("sales:pricelists"), reverse("sales:discounts")):
        check_access(client, org, url, allowed=everyone, denied_status=(403,))
    check_access(
        client,
        org,
        reverse("sales:pricelist", args=[ours.pk]),
        allowed=EVERY_STAFF - {"other_company_user"},
        denied_status=(403, 404),
    )
    client.force_login(org.other_company_user)
    assert client.get(reverse("sales:pricelist", args=[ours.pk])).status_code == 404
    assert client.get(reverse("sales:pricelist", args=[theirs.pk])).status_code == 200
    page = client.get(reverse("sales:discounts")).content.decode()
    assert "Más cég akciója" in page and "Nyári akció" not in page
    rule = DiscountRule(
        kind="quantity", percent=D(5), min_quantity=D(10), product=make_product("Q")
    )
    assert rule.conditions()[0] == "Q Termék Q" and "10" in rule.conditions()[1]
