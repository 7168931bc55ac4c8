"""Quotes (first part of the chain): made from an opportunity without typing a line twice,
numbered without gaps per company and year, a VAT summary that adds up, the status machine."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sales import vat
from sales.models import Counter, Quote, QuoteStatus
from sales.numbering import next_number
from sales.quotes import quote_from_opportunity, quote_set_status

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db


def test_the_vat_summary_rounds_each_rate_and_adds_the_rounded_rows():
    rows, total = vat.summary(
        [("27", D("1000.40")), ("5", D("333.33")), ("27", D("0.40")), ("AAM", D("500"))], "HUF"
    )
    assert [(r.rate, r.net, r.vat, r.gross) for r in rows] == [
        ("27", D(1001), D(270), D(1271)),  # 1 000,80 → 1 001; 27 % = 270,27 → 270
        ("5", D(333), D(17), D(350)),  # 16,65 → 17
        ("AAM", D(500), D(0), D(500)),  # exempt: no VAT
    ]
    assert (total.net, total.vat, total.gross) == (D(1834), D(287), D(2121))
    eur_rows, eur_total = vat.summary([("27", D("10.005"))], "EUR")
    assert (eur_rows[0].net, eur_rows[0].vat, eur_total.gross) == (
        D("10.01"),
        D("2.70"),
        D("12.71"),
    )


def test_numbers_run_per_company_and_year_and_a_rollback_gives_its_number_back(org):
    with transaction.atomic():
        assert next_number(company_id=org.company.pk, kind="quote", year=2026) == "AJ-2026-0001"
    try:
        with transaction.atomic():
            next_number(company_id=org.company.pk, kind="quote", year=2026)
            raise ValueError
    except ValueError:
        pass
    with transaction.atomic():
        assert next_number(company_id=org.company.pk, kind="quote", year=2026) == "AJ-2026-0002"
        assert next_number(company_id=org.company.pk, kind="quote", year=2027) == "AJ-2027-0001"
        other = next_number(company_id=org.other_company.pk, kind="quote", year=2026)
        assert other == "AJ-2026-0001"
    assert Counter.objects.count() == 3


def test_a_quote_carries_the_opportunitys_lines_over(org):
    opp = make_opportunity(org.owner)
    add_line(org.owner, opp, make_product("H", price="100000"), quantity="2")
    add_line(org.owner, opp, make_product("S", price="1000.50", vat_rate="5"), quantity="3")
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    assert quote.number.startswith("AJ-") and quote.status == QuoteStatus.DRAFT
    assert [(line.name, line.quantity, line.value) for line in quote.lines.all()] == [
        ("Termék H", D(2), D(200000)),
        ("Termék S", D(3), D(3002)),  # 3 001,50 rounded on the opportunity's line
    ]
    assert (quote.net_total, quote.vat_total, quote.gross_total) == (
        D(203002),
        D(54000) + D(150),
        D(203002) + D(54150),
    )


def test_a_quote_of_someone_elses_or_of_a_deactivated_product_is_refused(org):
    opp = make_opportunity(org.owner)
    product = make_product()
    add_line(org.owner, opp, product)
    with pytest.raises(PermissionDenied):
        quote_from_opportunity(user=org.peer, opportunity=opp)
    product.active = False
    product.save()
    with pytest.raises(ValidationError) as error:
        quote_from_opportunity(user=org.owner, opportunity=opp)
    assert "P-1" in str(error.value)
    assert not Quote.objects.exists()


def test_a_sent_quote_moves_the_opportunity_to_quoted_and_the_statuses_follow_the_table(org):
    opp = make_opportunity(org.owner)
    add_line(org.owner, opp, make_product())
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    with pytest.raises(ValidationError):
        quote_set_status(user=org.owner, quote=quote, status="accepted")
    quote_set_status(user=org.owner, quote=quote, status="sent")
    opp.refresh_from_db()
    assert opp.stage.name_en == "Quoted"
    quote_set_status(user=org.owner, quote=quote, status="accepted", note="Aláírva")
    with pytest.raises(ValidationError):
        quote_set_status(user=org.owner, quote=quote, status="rejected")
    assert [e.status for e in quote.events.order_by("pk")] == ["draft", "sent", "accepted"]


def test_quote_screens_are_for_those_who_see_the_opportunity(org, client):
    from django.urls import reverse

    from tests.access import check_access

    allowed = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}
    opp = make_opportunity(org.owner)
    add_line(org.owner, opp, make_product(price="1000"), quantity="3")

    def create():
        return reverse("sales:quote-create", args=[opp.pk]), None

    check_access(client, org, create, allowed=allowed, method="post")
    quote = Quote.objects.order_by("pk").first()
    check_access(client, org, reverse("sales:quote", args=[quote.pk]), allowed=allowed)
    check_access(
        client,
        org,
        reverse("sales:quote-status", args=[quote.pk]),
        allowed=allowed,
        method="post",
        data={"status": "nonsense"},
        row=quote,
    )
    client.force_login(org.owner)
    page = client.get(reverse("sales:opportunity", args=[opp.pk])).content.decode()
    assert str(quote) in page
    page = client.get(reverse("sales:quote", args=[quote.pk])).content.decode()
    assert "3\xa0810\xa0Ft" in page  # 3 000 net + 27 % VAT
    client.post(reverse("sales:quote-status", args=[quote.pk]), {"status": "sent"})
    quote.refresh_from_db()
    opp.refresh_from_db()
    assert quote.status == "sent" and opp.stage.name_en == "Quoted"


@pytest.mark.django_db(transaction=True)
def test_numbers_taken_at_once_by_many_never_repeat_nor_skip():
    """Eight threads, each its own database connection, take five numbers each at once."""
    import threading

    from django.db import connection

    from crm.models import Company

    company = Company.objects.create(name="Párhuzamos Kft.", tax_number="23451672-2-09")
    taken, errors = [], []
    start = threading.Barrier(8)

    def worker():
        try:
            start.wait()
            for _ in range(5):
                with transaction.atomic():
                    taken.append(next_number(company_id=company.pk, kind="quote", year=2026))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == [f"AJ-2026-{n:04d}" for n in range(1, 41)]
