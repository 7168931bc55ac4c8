"""Issue 25's quote in the browser, on a desktop and a phone: a rep makes a quote of an
opportunity's lines, edits a line (a price typed the Hungarian way), sends it by mail (the PDF
attached, received by a real SMTP server on loopback; Celery runs the outbox's task in the
server's thread), and records that the partner accepted it; then every quote screen."""

from decimal import Decimal as D

import pytest

from crm.groups import ensure_default_groups
from documents.models import DocumentType
from sales.models import Quote
from tests.access import build_org
from tests.conftest import wait_for
from tests.documents.generator_kit import make_template, pdf_text, templates_folder
from tests.partners.conftest import make_contact, make_partner
from tests.sales.helpers import add_line, make_opportunity, make_product
from tests.sales.test_quote_mail import TEMPLATE

from .conftest import log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"
SIZES = [("desktop", (1280, 900)), ("phone", (390, 844))]


@pytest.fixture
def org(transactional_db):
    from django.apps import apps

    from activities.defaults import ensure_defaults

    ensure_default_groups()
    ensure_defaults(apps)  # a transactional test before this one emptied the tables
    return build_org()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _width_fits(page, size, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= size[0], f"{name}: {width} px wide at {size[0]}"


@pytest.mark.parametrize(("label", "size"), SIZES)
def test_a_rep_quotes_an_opportunity_edits_a_line_mails_it_and_records_the_yes(
    browser, live_server, org, eager, smtp_server, label, size
):
    partner = make_partner(org.owner, name="Alföld-Gépészeti Kft.")
    contact = make_contact(partner, "Kovács", "Anna", emails=["kovacs.anna@alfold.hu"])
    opp = make_opportunity(org.owner, partner=partner, name="Kazáncsere", contact=contact)
    add_line(org.owner, opp, make_product("KAZ", price="689000", name_hu="Kazán"), quantity="2")
    add_line(org.owner, opp, make_product("SZ", price="1234.50", name_hu="Szerviz"), quantity="1")
    folder = templates_folder(org.company, readers=[org.owner])
    make_template(
        org.boss,
        "Árajánlat (PDF)",
        "arajanlat.html",
        TEMPLATE.read_text(),
        folder=folder,
        output_type=DocumentType.OFFER,
    )

    page = sized_page(browser, live_server, size)
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/sales/opportunities/{opp.pk}/")
    page.get_by_test_id("make-quote").click()
    page.wait_for_url("**/sales/quotes/*/")
    quote = Quote.objects.get(opportunity=opp)
    assert page.get_by_test_id("quote-status").inner_text() == "Piszkozat"
    assert page.get_by_test_id("quote-line").count() == 2

    # the boiler's line: three of them, at a price typed the Hungarian way
    page.get_by_test_id("quote-line-edit").first.click()
    form = page.get_by_test_id("quote-line-edit-form")
    form.locator("[name=quantity]").fill("3")
    form.locator("[name=manual_price]").fill("650 000")
    form.get_by_test_id("quote-line-save").click()
    page.get_by_test_id("quote-line-value").first.get_by_text("1 950 000").or_(
        page.get_by_test_id("quote-line-value").first.get_by_text("1\xa0950\xa0000")
    ).wait_for()
    line = quote.lines.order_by("position").first()
    assert (line.quantity, line.unit_price, line.value) == (D(3), D(650000), D(1950000))
    # a zero quantity gets a message, not a change
    page.get_by_test_id("quote-line-edit").first.click()
    form = page.get_by_test_id("quote-line-edit-form")
    form.locator("[name=quantity]").fill("0")
    form.get_by_test_id("quote-line-save").click()
    page.get_by_text("nagyobbnak kell lennie nullánál").first.wait_for()
    line.refresh_from_db()
    assert line.quantity == 3
    page.goto(f"/sales/quotes/{quote.pk}/")
    gross = page.get_by_test_id("quote-gross").inner_text().replace("\xa0", " ")
    assert gross == "2 478 068 Ft"  # (1 950 000 + 1 235) × 1,27, rounded per rate
    _width_fits(page, size, "quote draft")
    screenshot(page, f"quote-draft-{label}")

    # sent by mail, with its PDF
    page.get_by_test_id("quote-send").click()
    page.wait_for_url("**/send/")
    send = page.get_by_test_id("quote-send-form")
    assert send.locator("[name=recipient]").input_value() == "kovacs.anna@alfold.hu"
    send.locator("[name=subject]").fill("Árajánlatunk a kazáncseréhez")
    _width_fits(page, size, "quote send")
    screenshot(page, f"quote-send-{label}")
    send.get_by_test_id("quote-send-button").click()
    page.wait_for_url(f"**/sales/quotes/{quote.pk}/")
    assert page.get_by_test_id("quote-status").inner_text() == "Elküldve"
    assert wait_for(lambda: smtp_server.messages), "no mail arrived"
    (mail,) = smtp_server.parsed()
    assert mail["To"] == "kovacs.anna@alfold.hu"
    assert mail["Subject"] == "Árajánlatunk a kazáncseréhez"
    (attachment,) = list(mail.iter_attachments())
    text = pdf_text(attachment.get_content()).replace("\xa0", " ")
    assert quote.number in text and "1 950 000" in text and "2 478 068" in text
    opp.refresh_from_db()
    assert opp.stage.name_en == "Quoted"
    page.reload()
    page.get_by_test_id("quote-mail").first.wait_for()
    screenshot(page, f"quote-sent-{label}")

    # the partner said yes
    decision = page.get_by_test_id("quote-decision")
    decision.locator("[name=note]").first.fill("Aláírva, Kovács Anna")
    decision.get_by_test_id("quote-accepted").click()
    page.get_by_test_id("quote-status").get_by_text("Elfogadva").wait_for()
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.decision_note == "Aláírva, Kovács Anna"
    _width_fits(page, size, "quote accepted")
    screenshot(page, f"quote-accepted-{label}")

    # the list, reached from the sales tabs
    page.goto("/sales/opportunities/")
    page.get_by_test_id("nav-quotes").click()
    page.wait_for_url("**/sales/quotes/")
    page.get_by_test_id("quote-list").get_by_text(quote.number).wait_for()
    _width_fits(page, size, "quote list")
    screenshot(page, f"quote-list-{label}")
    for name, url in {
        "start": "/sales/quotes/new/?q=Alföld",
        "new": f"/sales/quotes/new/{partner.pk}/",
    }.items():
        page.goto(url)
        _width_fits(page, size, name)
        screenshot(page, f"quote-{name}-{label}")
    assert not page.errors, page.errors
    page.context.close()


def test_a_new_version_of_a_rejected_quote_in_the_browser(browser, live_server, org):
    partner = make_partner(org.owner, name="Tisza-Hő Bt.")
    opp = make_opportunity(org.owner, partner=partner, name="Hőszivattyú")
    add_line(org.owner, opp, make_product("HSZ", price="2500000", name_hu="Hőszivattyú"))
    from sales.quotes import quote_from_opportunity, quote_set_status

    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    quote_set_status(user=org.owner, quote=quote, status="sent")
    page = sized_page(browser, live_server, (1280, 900))
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/sales/quotes/{quote.pk}/")
    form = page.get_by_test_id("quote-reject-form")
    form.get_by_test_id("quote-rejected").click()  # no reason: told, not rejected
    page.get_by_text("miért utasította el").first.wait_for()
    form = page.get_by_test_id("quote-reject-form")
    form.locator("[name=reason]").select_option("price")
    form.locator("[name=note]").fill("Drágállják")
    form.get_by_test_id("quote-rejected").click()
    page.get_by_test_id("quote-status").get_by_text("Elutasítva").wait_for()
    page.get_by_test_id("quote-new-version").click()
    page.wait_for_url("**/sales/quotes/*/")
    new = Quote.objects.get(replaces=quote)
    assert page.url.endswith(f"/sales/quotes/{new.pk}/")
    versions = page.get_by_test_id("quote-versions")
    assert f"{quote.number}/2" in versions.inner_text() and "Felváltva" in versions.inner_text()
    screenshot(page, "quote-version-desktop")
    assert not page.errors, page.errors
    page.context.close()
