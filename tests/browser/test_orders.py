"""The middle of the sales chain in the browser: a rep turns an accepted quote into an order
with one click (the opportunity becomes won), delivers it in two parts, is refused a third
delivery of more than remains, and the order's page shows what remains per line; every order
and delivery page at desktop and phone size."""

from decimal import Decimal as D

import pytest
from django.db.models import F

from crm.groups import ensure_default_groups
from sales.models import Delivery, Order, OrderStatus
from tests.access import build_org
from tests.sales.test_orders import accepted_quote

from .conftest import SIZES, log_in, screenshot, sized_page

PASSWORD = "jelszo-Teszt-2026"


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


def _deliver(page, order, quantities: dict[str, str], received_by: str):
    page.goto(f"/sales/orders/{order.pk}/")
    page.get_by_test_id("order-deliver").click()
    page.wait_for_url("**/deliver/")
    form = page.get_by_test_id("delivery-form")
    for line in order.lines.filter(quantity_delivered__lt=F("quantity")):
        form.locator(f"[name=line-{line.pk}]").fill(quantities.get(line.name, "0"))
    form.locator("[name=received_by]").fill(received_by)
    return form


def test_a_rep_orders_an_accepted_quote_and_delivers_it_in_two_parts(browser, live_server, org):
    quote = accepted_quote(
        org.owner, lines=[("KAZ", "689000", "2"), ("CSO", "1500", "1234.5"), ("TEL", "9500", "16")]
    )
    page = sized_page(browser, live_server, SIZES[0][1])
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/sales/quotes/{quote.pk}/")
    screenshot(page, "orders-quote-accepted")
    page.get_by_test_id("quote-order").click()
    page.wait_for_url("**/sales/orders/*/")
    order = Order.objects.get(quote=quote)
    assert page.get_by_test_id("order-number").inner_text().endswith(order.number)
    assert page.get_by_test_id("order-status").inner_text() == "Nyitott"
    assert page.get_by_test_id("order-line").count() == 3  # nothing typed again
    assert page.get_by_test_id("order-quote").inner_text() == str(quote)
    opportunity = quote.opportunity
    opportunity.refresh_from_db()
    assert opportunity.status == "won"
    screenshot(page, "orders-order-new")

    # the first part: both boilers and part of the pipes, typed the Hungarian way
    form = _deliver(page, order, {"Termék KAZ": "2", "Termék CSO": "1 000,5"}, "Kiss János")
    screenshot(page, "orders-delivery-form")
    form.get_by_test_id("save-delivery").click()
    page.wait_for_url("**/sales/deliveries/*/")
    first = Delivery.objects.get()
    assert page.get_by_test_id("delivery-number").inner_text().endswith(first.number)
    screenshot(page, "orders-delivery")
    page.get_by_test_id("delivery-order").click()
    page.wait_for_url(f"**/sales/orders/{order.pk}/")
    assert page.get_by_test_id("order-status").inner_text() == "Részben szállítva"
    remaining = page.get_by_test_id("line-remaining").all_inner_texts()
    assert [text.replace("\xa0", " ").strip() for text in remaining] == ["0", "234", "16"]

    # more than remains is refused with the reason, and nothing is saved
    form = _deliver(page, order, {"Termék CSO": "300"}, "")
    form.get_by_test_id("save-delivery").click()
    errors = page.get_by_test_id("form-errors")
    errors.wait_for()
    assert "még 234 m" in errors.inner_text() or "még 234 db" in errors.inner_text()
    screenshot(page, "orders-delivery-refused")
    assert Delivery.objects.count() == 1

    # the second part: the rest
    form = _deliver(page, order, {"Termék CSO": "234", "Termék TEL": "16"}, "Nagy Éva")
    form.get_by_test_id("save-delivery").click()
    page.wait_for_url("**/sales/deliveries/*/")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert [line.quantity_delivered for line in order.lines.all()] == [D(2), D("1234.5"), D(16)]
    page.goto(f"/sales/orders/{order.pk}/")
    assert page.get_by_test_id("order-status").inner_text() == "Szállítva"
    assert page.get_by_test_id("order-deliver").count() == 0
    assert page.get_by_test_id("order-deliveries").locator("li").count() == 2
    screenshot(page, "orders-order-delivered")
    assert not page.errors, page.errors
    page.context.close()

    second = Delivery.objects.exclude(pk=first.pk).get()
    pages = {
        "list": "/sales/orders/?status=all",
        "order": f"/sales/orders/{order.pk}/",
        "edit": f"/sales/orders/{order.pk}/edit/",
        "delivery": f"/sales/deliveries/{second.pk}/",
        "quote": f"/sales/quotes/{quote.pk}/",
        "opportunity": f"/sales/opportunities/{quote.opportunity_id}/",
        "partner-sales": f"/partners/{order.partner_id}/?tab=sales",
    }
    for label, size in SIZES:
        page = sized_page(browser, live_server, size)
        log_in(page, "owner", PASSWORD)
        page.wait_for_url("**/")
        for name, url in pages.items():
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size[0], f"{name} at {label}: {width} px wide"
            screenshot(page, f"orders-{name}-{label}")
        assert not page.errors, page.errors
        page.context.close()
