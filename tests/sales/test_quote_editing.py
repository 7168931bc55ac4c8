"""Quotes, second part: the list (filters, scoping, constant queries), a quote from scratch,
a draft's lines and header edited with numbers typed the Hungarian way and the opportunity's
price limits, versions, the partner's decision; every screen refused to who must not see the
quote, bad input answered with a message and nothing lost."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Quote, QuoteLine, QuoteStatus, SalesSettings
from sales.quotes import quote_from_opportunity, quote_new_version, quote_set_status
from tests.access import check_access
from tests.partners.conftest import make_contact, make_partner

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db
ALLOWED = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


@pytest.fixture
def quote(org):
    opp = make_opportunity(org.owner, name="Kazáncsere")
    add_line(org.owner, opp, make_product("KAZ", price="100000", name_hu="Kazán"), quantity="2")
    return quote_from_opportunity(user=org.owner, opportunity=opp)


def page(client, quote) -> str:
    return client.get(reverse("sales:quote", args=[quote.pk])).content.decode()


def line_post(client, quote, line=None, **fields):
    url = (
        reverse("sales:quote-line-edit", args=[quote.pk, line.pk])
        if line
        else reverse("sales:quote-line-add", args=[quote.pk])
    )
    return client.post(url, fields, HTTP_HX_REQUEST="true")


# ----------------------------------------------------------------------------- list


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_list_shows_what_the_user_sees_filters_and_costs_the_same_for_1_and_50(
    org, client, quote
):
    peer_opp = make_opportunity(org.peer, name="Társ ajánlata")
    add_line(org.peer, peer_opp, make_product("X"))
    peers = quote_from_opportunity(user=org.peer, opportunity=peer_opp)
    url = reverse("sales:quotes")
    client.force_login(org.owner)
    text = client.get(url).content.decode()
    assert quote.number in text and "Kazáncsere" in text and peers.number not in text
    client.force_login(org.other_company_user)
    assert quote.number not in client.get(url).content.decode()
    client.force_login(org.outsider)
    assert client.get(url).status_code == 403

    client.force_login(org.supervisor)
    text = client.get(url).content.decode()
    assert quote.number in text and peers.number in text
    text = client.get(url, {"owner": org.peer.pk}).content.decode()
    assert peers.number in text and quote.number not in text
    text = client.get(url, {"partner": quote.partner_id}).content.decode()
    assert quote.number in text and peers.number not in text and quote.partner.name in text
    quote_set_status(user=org.owner, quote=quote, status="sent")
    text = client.get(url, {"status": "sent"}).content.decode()
    assert quote.number in text and peers.number not in text
    text = client.get(url, {"q": "társ"}).content.decode()
    assert peers.number in text and quote.number not in text
    # a version replaced is out of the default list, in "all"
    new = quote_new_version(user=org.owner, quote=quote)
    rows = client.get(url).context["rows"]
    assert new in rows and quote not in rows
    assert quote in client.get(url, {"status": "all"}).context["rows"]
    # bad filters are ignored, not a 500
    assert client.get(url, {"status": "nonsense", "owner": "x", "partner": "-3"}).status_code == 200

    one = _queries(client, url)
    partner = make_partner(org.owner, name="Sok Ajánlat Kft.")
    for n in range(50):
        Quote.objects.create(
            company=org.company,
            owner=org.owner if n % 2 else org.peer,
            partner=partner,
            number=f"AJ-2026-{100 + n:04d}",
            title=f"Ajánlat {n}",
            gross_total=D(1000 * n),
        )
    assert _queries(client, url) == one
    assert len(client.get(url).context["rows"]) == 50
    assert 'rel="next"' in client.get(url).content.decode()


# ----------------------------------------------------------------------------- from scratch


def test_a_quote_from_scratch_for_a_partner_with_lines_typed_the_hungarian_way(org, client):
    partner = make_partner(org.owner, name="Üres Lap Kft.")
    contact = make_contact(partner, "Kiss", "Éva", emails=["kiss.eva@ureslap.hu"])
    service = make_product("SZ", price="1234.50", name_hu="Szerviz óra", unit="óra")
    client.force_login(org.owner)
    start = client.get(reverse("sales:quote-start"), {"q": "Üres"}).content.decode()
    assert reverse("sales:quote-new", args=[partner.pk]) in start
    response = client.post(
        reverse("sales:quote-new", args=[partner.pk]),
        {"title": "Éves karbantartás", "contact": contact.pk, "currency": "HUF", "notes": "Jó"},
    )
    quote = Quote.objects.get(title="Éves karbantartás")
    assert response.status_code == 302 and response["Location"].endswith(f"/quotes/{quote.pk}/")
    assert quote.opportunity is None and quote.owner == org.owner and quote.number.startswith("AJ-")
    assert quote.status == QuoteStatus.DRAFT and quote.valid_until > quote.issued_on

    product = make_product("KAZ", price="689000", name_hu="Kazán")
    response = line_post(client, quote, product=product.pk, quantity="1,5", name="")
    assert response.status_code == 200
    line = quote.lines.get()
    assert (line.quantity, line.value, line.name) == (D("1.5"), D(1033500), "Kazán")
    response = line_post(client, quote, product=service.pk, quantity="2", name="Beüzemelés")
    assert "Beüzemelés" in response.content.decode()
    assert "1\xa0234,50" in response.content.decode()  # the unit price, Hungarian
    quote.refresh_from_db()
    assert quote.net_total == D(1033500) + D(2469)
    assert quote.gross_total == quote.net_total + quote.vat_total


def test_a_partner_one_does_not_see_gets_no_quote(org, client):
    partner = make_partner(org.peer, name="Társ Vevője Kft.")
    client.force_login(org.owner)
    assert client.get(reverse("sales:quote-new", args=[partner.pk])).status_code == 404
    response = client.post(
        reverse("sales:quote-new", args=[partner.pk]), {"title": "X", "currency": "HUF"}
    )
    assert response.status_code == 404 and not Quote.objects.exists()


# ----------------------------------------------------------------------------- editing


def test_editing_a_line_reprices_it_and_bad_numbers_get_a_message(org, client, quote):
    client.force_login(org.owner)
    line = quote.lines.get()
    form = client.get(
        reverse("sales:quote-line-edit", args=[quote.pk, line.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="quote-line-edit-form"' in form
    fields = {"product": line.product_id, "name": "Kazán, beszereléssel"}
    text = line_post(client, quote, line, **fields, quantity="0").content.decode()
    assert "A mennyiségnek nagyobbnak kell lennie nullánál." in text
    text = line_post(client, quote, line, **fields, quantity="-2").content.decode()
    assert "A mennyiségnek nagyobbnak kell lennie nullánál." in text
    text = line_post(client, quote, line, **fields, quantity="két darab").content.decode()
    assert "Számot írjon, például 1 234,50." in text
    text = line_post(client, quote, line, **fields, quantity="3", manual_discount="150")
    assert "A kedvezmény 0 és 100 % között lehet." in text.content.decode()
    text = line_post(client, quote, line, **fields, quantity="3", manual_price="-5")
    assert "Az ár nem lehet negatív." in text.content.decode()
    line.refresh_from_db()
    assert line.quantity == 2 and line.value == D(200000)  # nothing of the bad posts saved

    response = line_post(client, quote, line, **fields, quantity="3")
    assert response.status_code == 200
    line.refresh_from_db()
    quote.refresh_from_db()
    assert (line.quantity, line.value, line.name) == (D(3), D(300000), "Kazán, beszereléssel")
    assert quote.net_total == D(300000) and quote.gross_total == D(381000)
    assert "381\xa0000" in response.content.decode()  # the VAT summary follows


def test_a_price_beyond_the_limit_needs_the_function_and_a_reason(org, client, quote):
    SalesSettings.objects.update_or_create(
        company=org.company, defaults={"manual_discount_limit": D(10)}
    )
    line = quote.lines.get()
    fields = {"product": line.product_id, "quantity": "2", "manual_discount": "25"}
    client.force_login(org.owner)
    text = line_post(client, quote, line, **fields).content.decode()
    assert "Korláton felüli kedvezmény adása" in text
    line.refresh_from_db()
    assert not line.manual and line.value == D(200000)
    client.force_login(org.supervisor)
    text = line_post(client, quote, line, **fields).content.decode()
    assert "10" in text and 'name="reason"' in text
    line.refresh_from_db()
    assert not line.manual
    line_post(client, quote, line, **fields, reason="Nagy tétel, versenytárs ajánlata")
    line.refresh_from_db()
    assert line.manual and line.value == D(150000) and line.manual_by == org.supervisor
    assert line.manual_reason == "Nagy tétel, versenytárs ajánlata"
    # within the limit a rep may type a price without a reason
    client.force_login(org.owner)
    line_post(client, quote, line, product=line.product_id, quantity="2", manual_price="95 000")
    line.refresh_from_db()
    assert line.unit_price == D(95000) and line.manual_reason == ""


def test_a_deactivated_product_cannot_be_put_on_a_line(org, client, quote):
    old = make_product("OLD", price="500", active=False)
    client.force_login(org.owner)
    text = line_post(client, quote, product=old.pk, quantity="1").content.decode()
    assert quote.lines.count() == 1
    assert "OLD" not in text.split('data-testid="quote-lines"')[1].split("</table>")[0]


def test_the_header_is_edited_with_the_version_check(org, client, quote):
    client.force_login(org.owner)
    url = reverse("sales:quote-edit", args=[quote.pk])
    fields = {"title": "Kazáncsere 2027", "valid_until": "2020-01-01", "notes": "Szállítás: 2 hét"}
    response = client.post(url, {**fields, "base_version": quote.version})
    assert response.status_code == 200
    assert "Az árajánlat nem járhat le a kelte előtt." in response.content.decode()
    quote.refresh_from_db()
    assert quote.title == "Kazáncsere"
    fields["valid_until"] = quote.valid_until.replace(year=quote.valid_until.year + 1).isoformat()
    response = client.post(url, {**fields, "base_version": quote.version})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.title == "Kazáncsere 2027" and quote.notes == "Szállítás: 2 hét"
    # a stale form does not overwrite the newer save
    response = client.post(url, {**fields, "title": "Régi", "base_version": quote.version - 1})
    assert response.status_code == 200
    quote.refresh_from_db()
    assert quote.title == "Kazáncsere 2027"


def test_a_sent_quote_is_not_edited_but_gets_a_new_version(org, client, quote):
    client.force_login(org.owner)
    line = quote.lines.get()
    quote_set_status(user=org.owner, quote=quote, status="sent")
    text = line_post(client, quote, line, product=line.product_id, quantity="9").content.decode()
    line.refresh_from_db()
    assert line.quantity == 2
    assert "Készítsen helyette új változatot." in text
    response = client.get(reverse("sales:quote-edit", args=[quote.pk]))
    assert response.status_code == 302

    response = client.post(reverse("sales:quote-version", args=[quote.pk]))
    new = Quote.objects.get(replaces=quote)
    assert response["Location"].endswith(f"/quotes/{new.pk}/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUPERSEDED
    assert (new.number, new.revision, new.status) == (quote.number, 2, QuoteStatus.DRAFT)
    assert str(new) == f"{quote.number}/2"
    assert [(ln.name, ln.quantity, ln.value) for ln in new.lines.all()] == [
        ("Kazán", D(2), D(200000))
    ]
    assert new.gross_total == quote.gross_total
    text = page(client, new)
    assert f"{quote.number}/2" in text and f'href="/sales/quotes/{quote.pk}/"' in text
    # the old one cannot be versioned again, nor a draft
    client.post(reverse("sales:quote-version", args=[quote.pk]))
    client.post(reverse("sales:quote-version", args=[new.pk]))
    assert Quote.objects.filter(number=quote.number).count() == 2
    # the new draft's lines are edited; the old version stays as it was sent
    line_post(client, new, new.lines.get(), product=line.product_id, quantity="4")
    assert new.lines.get().quantity == 4 and quote.lines.get().quantity == 2
    # a rejected version gets one too: revision 3
    quote_set_status(user=org.owner, quote=new, status="sent")
    quote_set_status(user=org.owner, quote=new, status="rejected", reason="price")
    third = quote_new_version(user=org.owner, quote=new)
    assert third.revision == 3 and third.replaces == new


def test_rejecting_needs_a_reason_and_accepting_a_deactivated_product_is_refused(
    org, client, quote
):
    client.force_login(org.owner)
    url = reverse("sales:quote-status", args=[quote.pk])
    client.post(url, {"status": "sent"})
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.opportunity.stage.name_en == "Quoted"
    response = client.post(url, {"status": "rejected", "reason": ""}, follow=True)
    assert "Válassza ki, miért utasította el a partner" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == "sent"

    product = quote.lines.get().product
    product.active = False
    product.save()
    response = client.post(url, {"status": "accepted", "note": "Aláírva"}, follow=True)
    text = response.content.decode()
    assert "KAZ" in text and quote.get_status_display() in text
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert 'data-testid="quote-inactive"' in text

    response = client.post(url, {"status": "rejected", "reason": "price", "note": "Drága"})
    quote.refresh_from_db()
    assert quote.status == "rejected" and quote.rejection_reason == "price"
    assert quote.decision_note == "Drága"
    assert "Drága" in page(client, quote)


# ----------------------------------------------------------------------------- access


def test_every_quote_screen_is_refused_to_who_must_not_see_the_quote(org, client, quote):
    line = quote.lines.get()
    detail = reverse("sales:quote", args=[quote.pk])
    check_access(client, org, detail, allowed=ALLOWED)
    check_access(client, org, reverse("sales:quote-edit", args=[quote.pk]), allowed=ALLOWED)
    check_access(
        client,
        org,
        reverse("sales:quote-edit", args=[quote.pk]),
        allowed=ALLOWED,
        method="post",
        data={"title": "", "base_version": quote.version},
        row=quote,
    )
    check_access(
        client,
        org,
        reverse("sales:quote-line-edit", args=[quote.pk, line.pk]),
        allowed=ALLOWED,
    )
    check_access(
        client,
        org,
        reverse("sales:quote-line-edit", args=[quote.pk, line.pk]),
        allowed=ALLOWED,
        method="post",
        data={"product": line.product_id, "quantity": "0"},
        row=line,
    )
    check_access(
        client,
        org,
        reverse("sales:quote-line-add", args=[quote.pk]),
        allowed=ALLOWED,
        method="post",
        data={"product": line.product_id, "quantity": "abc"},
        row=quote,
    )
    check_access(client, org, reverse("sales:quote-send", args=[quote.pk]), allowed=ALLOWED)
    check_access(
        client,
        org,
        reverse("sales:quote-send", args=[quote.pk]),
        allowed=ALLOWED,
        method="post",
        data={"recipient": "nem-cim"},
        ok_status=(400,),
        row=quote,
    )

    def line_to_delete():
        extra = QuoteLine.objects.create(
            quote=quote,
            product=line.product,
            name="Törlendő",
            quantity=1,
            unit="db",
            vat_rate="27",
            unit_price=1,
            value=1,
        )
        return reverse("sales:quote-line-delete", args=[quote.pk, extra.pk]), extra

    check_access(client, org, line_to_delete, allowed=ALLOWED, method="post")


def test_the_version_and_list_screens_are_refused_to_outsiders(org, client, quote):
    quote_set_status(user=org.owner, quote=quote, status="sent")
    url = reverse("sales:quote-version", args=[quote.pk])
    for persona in ("peer", "other_company_user", "outsider"):
        client.force_login(getattr(org, persona))
        assert client.post(url).status_code == 404
    assert not Quote.objects.filter(replaces=quote).exists()
    client.force_login(org.supervisor)
    assert client.post(url).status_code == 302
    assert Quote.objects.filter(replaces=quote, revision=2).exists()
    check_access(
        client,
        org,
        reverse("sales:quote-start"),
        allowed=ALLOWED | {"peer", "other_company_user"},
        denied_status=(403,),
    )
    # the partner master is shared: the other company's manager sees the partner (the
    # partners app's rule) and may quote it for their own company
    check_access(
        client,
        org,
        reverse("sales:quote-new", args=[quote.partner_id]),
        allowed=ALLOWED | {"other_company_user"},
        denied_status=(403, 404),  # the outsider lacks the function; the peer the partner
    )
    check_access(
        client,
        org,
        reverse("sales:quotes"),
        allowed=ALLOWED | {"peer", "other_company_user"},
        denied_status=(403,),
    )


@pytest.mark.django_db(transaction=True)
def test_two_new_versions_at_once_make_one_and_the_other_is_told():
    """Two threads, each its own database connection, ask for a new version of the same sent
    quote at the same moment."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection as conn

    from crm.groups import ensure_default_groups
    from tests.access import build_org

    ensure_default_groups()
    org = build_org()
    opp = make_opportunity(org.owner, name="Párhuzamos")
    add_line(org.owner, opp, make_product("P", price="1000"))
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    quote_set_status(user=org.owner, quote=quote, status="sent")
    made, told, errors = [], [], []
    start = threading.Barrier(2)

    def worker(user):
        try:
            start.wait()
            made.append(quote_new_version(user=user, quote=Quote.objects.get(pk=quote.pk)))
        except ValidationError as error:
            told.extend(error.messages)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(u,)) for u in (org.owner, org.supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == 1 and len(told) == 1
    assert told[0] in (
        "This quote has a newer version already.",
        "Ennek az árajánlatnak már van újabb változata.",
    )
    assert list(
        Quote.objects.filter(number=quote.number)
        .order_by("revision")
        .values_list("revision", "status")
    ) == [(1, "superseded"), (2, "draft")]


def test_a_euro_quote_refuses_a_product_without_a_euro_price(org, client):
    partner = make_partner(org.owner, name="Bécsi Partner GmbH")
    client.force_login(org.owner)
    client.post(
        reverse("sales:quote-new", args=[partner.pk]),
        {"title": "Export", "currency": "EUR", "valid_until": "2020-01-01"},
    )
    assert not Quote.objects.exists()  # expiring before it is issued
    client.post(
        reverse("sales:quote-new", args=[partner.pk]), {"title": "Export", "currency": "EUR"}
    )
    quote = Quote.objects.get()
    forint_only = make_product("HUF-1", price="1000")
    text = line_post(client, quote, product=forint_only.pk, quantity="1").content.decode()
    assert "terméknek nincs ára EUR pénznemben" in text
    assert not quote.lines.exists()
