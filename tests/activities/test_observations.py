"""Meeting observations at resellers and their report with an Excel export."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from activities.models import Observation
from tests.partners.conftest import make_partner

from .test_activities import close, local, plan

pytestmark = pytest.mark.django_db


def record(client, meeting, **data):
    return client.post(reverse("activities:observation-add", args=[meeting.pk]), data, follow=True)


def test_recording_prices_and_stock_on_a_meeting(client, org):
    partner = make_partner(org.owner, county="CS")
    meeting = plan(org.owner, partner, "meeting")  # tomorrow
    client.force_login(org.owner)
    record(
        client,
        meeting,
        kind="price",
        product="Csavar M8",
        competitor="Konkurens Kft.",
        price="1290",
    )
    record(client, meeting, kind="stock", product="Saját csavar M8", quantity="140")
    # a price without the competitor: told, nothing saved
    refused = record(client, meeting, kind="price", product="Csavar M10", price="1500")
    assert Observation.objects.count() == 2
    assert "Give whose product it is" in refused.content.decode() or "Adja meg" in (
        refused.content.decode()
    )
    page = client.get(reverse("activities:detail", args=[meeting.pk])).content.decode()
    assert "Konkurens Kft." in page and "Saját csavar M8" in page
    # not on a call, and not by somebody who does not see the meeting
    call = plan(org.owner, partner, "call")
    assert (
        client.post(
            reverse("activities:observation-add", args=[call.pk]),
            {"kind": "stock", "product": "x", "quantity": "1"},
        ).status_code
        == 403
    )
    client.force_login(org.peer)
    assert (
        client.post(
            reverse("activities:observation-add", args=[meeting.pk]),
            {"kind": "stock", "product": "x", "quantity": "1"},
        ).status_code
        == 404
    )
    assert Observation.objects.count() == 2


def test_report_groups_by_product_competitor_region_and_month_and_exports(client, org):
    szeged = make_partner(org.owner, name="Szegedi Viszonteladó Kft.", county="CS")
    pecs = make_partner(org.owner, name="Pécsi Viszonteladó Kft.", county="BA")
    for day, partner, price in (
        (datetime.date(2026, 10, 5), szeged, 1000),
        (datetime.date(2026, 10, 20), szeged, 1200),
        (datetime.date(2026, 10, 21), pecs, 900),
        (datetime.date(2026, 11, 3), szeged, 1300),
    ):
        # past meetings are closed: an open one would send the handler to the closing page
        meeting = close(plan(org.owner, partner, "meeting", starts_at=local(day, 10)))
        Observation.objects.create(
            activity=meeting,
            kind="price",
            product="Csavar M8",
            competitor="Rival Zrt.",
            price=price,
        )
    hostile = close(
        plan(org.owner, szeged, "meeting", starts_at=local(datetime.date(2026, 11, 4), 9))
    )
    Observation.objects.create(
        activity=hostile,
        kind="stock",
        product='=HYPERLINK("http://evil.example","x") <b>',
        quantity=5,
    )
    mine = plan(org.peer, make_partner(org.peer), "meeting")
    Observation.objects.create(activity=mine, kind="stock", product="A társé", quantity=1)
    client.force_login(org.supervisor)
    url = reverse("activities:observations")
    page = client.get(url).content.decode()
    assert "A társé" in page  # the supervisor sees the peer's too (both report to them)
    rows = page.split('data-testid="observation-rows"', 1)[1]
    assert "&lt;b&gt;" in rows  # HTML in a product is text
    october_szeged = client.get(url, {"product": "M8", "county": "CS", "until": "2026-10-31"})
    text = october_szeged.content.decode().split('data-testid="observation-rows"', 1)[1]
    text = text.replace("\xa0", " ").replace(".", " ")
    assert "1 000 Ft" in text and "1 200 Ft" in text  # lowest and highest
    assert "1 100 Ft" in text  # the average
    assert "Baranya" not in text and "900 Ft" not in text and "1 300 Ft" not in text
    client.force_login(org.peer)
    assert "Rival Zrt." not in client.get(url).content.decode()
    # the export: the same groups, formulas neutralised
    client.force_login(org.owner)
    export = client.get(url, {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    products = [row[0] for row in values[1:]]
    assert products.count("Csavar M8") == 3  # Szeged October, Pécs October, Szeged November
    assert '\'=HYPERLINK("http://evil.example","x") <b>' in products
    bad = client.get(url, {"since": "2026-11-30", "until": "2026-11-01"})
    assert bad.status_code == 200


def test_a_negative_price_or_fractional_stock_gets_a_plain_message_not_a_constraint_name(
    client, org
):
    """Forms validate before the database: the user reads what to fix, in Hungarian, and the
    database constraint's text ('megszorítás … megsértve') never reaches them."""
    meeting = plan(org.owner, make_partner(org.owner), "meeting")
    client.force_login(org.owner)
    cases = [
        (
            {"kind": "price", "competitor": "Konkurens Kft.", "price": "-5"},
            "Az ár nem lehet negatív",
        ),
        ({"kind": "stock", "quantity": "-3"}, "A készlet nem lehet negatív"),
        ({"kind": "stock", "quantity": "2.5"}, "Egész darabszámot adjon meg"),
    ]
    for data, told in cases:
        page = record(client, meeting, product="Csavar M8", **data).content.decode()
        assert told in page, page[page.find("alert") - 200 : page.find("alert") + 400]
        assert "megszorítás" not in page and "constraint" not in page.lower()
    assert not Observation.objects.exists()
    record(client, meeting, kind="stock", product="Csavar M8", quantity="3")
    assert Observation.objects.get().quantity == 3
