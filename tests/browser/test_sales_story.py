"""Issue 25's "Done when" as one story, through the browser only, with the demo data: the
sales rep Kovács Anna records an opportunity with three lines and a subcontractor, makes the
quote, sends it as a PDF by mail (received by a real SMTP server on loopback; Celery runs the
outbox's task in the server's thread), records the yes, turns the quote into an order, delivers
it in two parts and invoices each delivery from its page without typing a line again; then the
manager Nagy Péter drags an opportunity on the pipeline board and reads the forecast chart."""

import re
from decimal import Decimal as D

import pytest

from crm.demo import DEMO_PASSWORD
from partners.models import Partner
from sales.models import Delivery, Invoice, Opportunity, Order, OrderStatus, Quote, Subcontractor
from sales.pipeline import stages_of
from tests.conftest import wait_for
from tests.documents.generator_kit import pdf_text

from .conftest import log_in, open_menu, screenshot
from .sales_steps import add_line, chart_drawn, deliver


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _number(text: str) -> int:
    return int(re.search(r"(\d+)$", text).group(1))


def _invoice_the_delivery(page, delivery, part: int) -> Invoice:
    """From the delivery's page: the invoice form comes filled in with what was delivered."""
    page.goto(f"/sales/deliveries/{delivery.pk}/")
    page.get_by_test_id("invoice-delivery-button").click()
    page.wait_for_url(f"**/sales/deliveries/{delivery.pk}/invoice/")
    form = page.get_by_test_id("invoice-form")
    assert form.get_by_test_id("invoice-form-line").count() == delivery.lines.count()
    screenshot(page, f"story-invoice-form-{part}")
    form.get_by_test_id("issue-invoice").click()
    page.wait_for_url("**/sales/invoices/*/")
    invoice = Invoice.objects.get(delivery=delivery)
    assert page.get_by_test_id("invoice-number").inner_text().endswith(invoice.number)
    screenshot(page, f"story-invoice-{part}")
    return invoice


def test_a_rep_sells_from_opportunity_to_invoices_and_the_manager_reads_the_forecast(
    page, demo, eager, smtp_server
):
    partner = Partner.objects.filter(
        owners__user__username="kovacs.anna", contacts__emails__len__gt=0
    ).order_by("name")[0]
    contact = partner.contacts.filter(emails__len__gt=0).order_by("pk")[0]
    subcontractor = Subcontractor.objects.select_related("partner").first()

    # the rep records the opportunity, as in test_sales
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    open_menu(page, "Értékesítés")
    page.wait_for_url("**/sales/")
    page.get_by_test_id("board-new-opportunity").click()
    page.wait_for_url("**/sales/opportunities/new/")
    page.locator("#partner-q").fill(partner.name[:12])
    page.get_by_test_id("partner-choices").get_by_text(partner.name).click()
    form = page.get_by_test_id("opportunity-form")
    form.locator("[name=name]").fill("Iskolai hőszivattyús fűtés")
    form.locator("[name=contact]").select_option(str(contact.pk))
    form.locator("[name=expected_close]").fill("2027-02-26")
    form.get_by_test_id("save-opportunity").click()
    page.wait_for_url("**/sales/opportunities/*/")
    opportunity = Opportunity.objects.get(name="Iskolai hőszivattyús fűtés")
    add_line(page, "HSZ-08", "2")
    add_line(page, "CSO-22", "40")
    add_line(page, "TEL-01", "16", subcontractor=str(subcontractor))
    assert page.get_by_test_id("line-subcontractor").count() == 1
    screenshot(page, "story-opportunity")

    # the quote of its lines, sent as a PDF by mail
    page.get_by_test_id("make-quote").click()
    page.wait_for_url("**/sales/quotes/*/")
    quote = Quote.objects.get(opportunity=opportunity)
    assert page.get_by_test_id("quote-line").count() == 3
    page.get_by_test_id("quote-send").click()
    page.wait_for_url("**/send/")
    send = page.get_by_test_id("quote-send-form")
    address = send.locator("[name=recipient]").input_value()
    assert address and address == contact.email
    screenshot(page, "story-quote-send")
    send.get_by_test_id("quote-send-button").click()
    page.wait_for_url(f"**/sales/quotes/{quote.pk}/")
    assert page.get_by_test_id("quote-status").inner_text() == "Elküldve"
    assert wait_for(lambda: smtp_server.messages), "no mail arrived"
    (mail,) = smtp_server.parsed()
    assert mail["To"] == address
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert quote.number in pdf_text(attachment.get_content())
    opportunity.refresh_from_db()
    assert opportunity.stage.name_en == "Quoted"

    # the partner said yes; the order carries the lines over
    decision = page.get_by_test_id("quote-decision")
    decision.locator("[name=note]").first.fill("Aláírva")
    decision.get_by_test_id("quote-accepted").click()
    page.get_by_test_id("quote-status").get_by_text("Elfogadva").wait_for()
    screenshot(page, "story-quote-accepted")
    page.get_by_test_id("quote-order").click()
    page.wait_for_url("**/sales/orders/*/")
    order = Order.objects.get(quote=quote)
    assert page.get_by_test_id("order-line").count() == 3
    opportunity.refresh_from_db()
    assert opportunity.status == "won"
    lines = list(order.lines.order_by("position"))
    pump, pipe, work = (line.name for line in lines)

    # delivered in two parts, each invoiced from its delivery's page
    form = deliver(page, order, {pump: "2", pipe: "25"}, "Kiss János")
    form.get_by_test_id("save-delivery").click()
    page.wait_for_url("**/sales/deliveries/*/")
    first = Delivery.objects.get(order=order)
    first_invoice = _invoice_the_delivery(page, first, 1)
    form = deliver(page, order, {pipe: "15", work: "16"}, "Nagy Éva")
    form.get_by_test_id("save-delivery").click()
    page.wait_for_url("**/sales/deliveries/*/")
    second = Delivery.objects.filter(order=order).exclude(pk=first.pk).get()
    second_invoice = _invoice_the_delivery(page, second, 2)
    assert _number(second_invoice.number) == _number(first_invoice.number) + 1
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    for line in lines:
        invoiced = sum((i.quantity for i in line.invoice_lines.all()), D(0))
        assert invoiced == line.quantity, (line.name, invoiced, line.quantity)
    page.goto(f"/sales/orders/{order.pk}/")
    assert page.get_by_test_id("chain-invoice").count() == 2
    screenshot(page, "story-order-invoiced")
    assert not page.console_errors, "\n".join(page.console_errors)

    # the manager moves an opportunity on the board and reads the forecast
    page.context.clear_cookies()
    log_in(page, "nagy.peter", DEMO_PASSWORD)
    page.wait_for_url("**/")
    open_menu(page, "Értékesítés")
    page.wait_for_url("**/sales/")
    stages = {s.name_en: s for s in stages_of(opportunity.company_id)}
    new, assessed = stages["New"], stages["Needs assessed"]
    card = page.locator(f".crm-board-cards[data-stage='{new.pk}'] .crm-draggable").first
    moved = Opportunity.objects.get(pk=card.get_attribute("data-opportunity"))
    card.drag_to(page.locator(f".crm-board-cards[data-stage='{assessed.pk}']"))
    page.get_by_test_id("board-message").wait_for()
    moved.refresh_from_db()
    assert moved.stage == assessed
    screenshot(page, "story-board-moved")
    page.get_by_test_id("sales-nav-reports").click()
    page.wait_for_url("**/sales/reports/")
    chart = chart_drawn(page, "forecast-chart")
    assert chart["width"] > 300 and chart["height"] > 150
    assert chart["sets"][0] == "Súlyozott előrejelzés" and chart["weighted"] > 0
    screenshot(page, "story-reports")
    assert not page.console_errors, "\n".join(page.console_errors)
