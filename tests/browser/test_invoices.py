"""The end of the sales chain in the browser: a rep opens a delivery, invoices it in two parts
without typing a line (the form is filled in with what is left), is refused an invoice of more
than was delivered, and finds nothing left after the second part; the manager records the
payment; every invoice page at desktop and phone size."""

import pytest

from crm.groups import ensure_default_groups
from sales.models import Invoice, InvoiceStatus
from tests.access import build_org
from tests.sales.invoice_kit import deliver, make_chain

from .conftest import SIZES, log_in, screenshot, sized_page

pytestmark = pytest.mark.browser
PASSWORD = "jelszo-Teszt-2026"


@pytest.fixture
def org(transactional_db):
    ensure_default_groups()
    return build_org()


def _fill(page, values: list[str]):
    inputs = page.get_by_test_id("invoice-form-line").locator("input")
    assert inputs.count() == len(values)
    for n, value in enumerate(values):
        inputs.nth(n).fill(value)


def test_a_rep_invoices_a_delivery_in_two_parts(browser, live_server, org):
    order, (boiler, pipe) = make_chain(org, boilers="4", pipes="10")  # one boiler to come
    delivery = deliver(org.owner, order, {boiler: "3", pipe: "10"})
    page = sized_page(browser, live_server, SIZES[0][1])
    log_in(page, "owner", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/sales/deliveries/{delivery.pk}/")
    page.get_by_test_id("invoice-chain").get_by_text("Még nincs kiszámlázva.").wait_for()
    page.get_by_test_id("invoice-delivery-button").click()
    page.wait_for_url(f"**/sales/deliveries/{delivery.pk}/invoice/")
    inputs = page.get_by_test_id("invoice-form-line").locator("input")
    assert [inputs.nth(n).input_value() for n in range(2)] == ["3", "10"]  # nothing to type
    # the first part: two boilers and 4,5 m of pipe, typed the Hungarian way
    _fill(page, ["2", "4,5"])
    screenshot(page, "invoices-form-desktop")
    page.get_by_test_id("issue-invoice").click()
    page.wait_for_url("**/sales/invoices/*/")
    first = Invoice.objects.get()
    assert page.get_by_test_id("invoice-number").inner_text().endswith(first.number)
    assert page.get_by_test_id("invoice-delivery").inner_text() == delivery.number
    assert page.get_by_test_id("invoice-line").count() == 2
    gross = page.get_by_test_id("invoice-gross").inner_text().replace("\xa0", " ")
    assert gross == f"{int(first.gross_total):,} Ft".replace(",", " ")
    screenshot(page, "invoices-first")

    # back on the delivery: the first invoice is listed, the rest is offered
    page.get_by_test_id("invoice-delivery").click()
    page.wait_for_url(f"**/sales/deliveries/{delivery.pk}/")
    assert page.get_by_test_id("chain-invoice").count() == 1
    page.get_by_test_id("invoice-delivery-button").click()
    page.wait_for_url("**/invoice/")
    assert [inputs.nth(n).input_value() for n in range(2)] == ["1", "5,5"]
    # more than was delivered is refused with the reason, and nothing is saved
    _fill(page, ["2", "5,5"])
    page.get_by_test_id("issue-invoice").click()
    errors = page.get_by_test_id("invoice-errors")
    errors.wait_for()
    assert "legfeljebb 1 db" in errors.inner_text()
    assert first.number in errors.inner_text()  # which invoice took the rest
    screenshot(page, "invoices-refused")
    assert Invoice.objects.count() == 1
    _fill(page, ["1", "5,5"])
    page.get_by_test_id("issue-invoice").click()
    page.wait_for_url("**/sales/invoices/*/")
    second = Invoice.objects.exclude(pk=first.pk).get()
    assert second.number != first.number
    page.goto(f"/sales/deliveries/{delivery.pk}/")
    assert page.get_by_test_id("chain-invoice").count() == 2
    page.get_by_test_id("invoice-delivery-button").click()
    page.get_by_test_id("nothing-left").wait_for()
    # the numbered PDF
    response = page.request.get(f"/sales/invoices/{first.pk}/pdf/")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert first.number in response.headers["content-disposition"]
    assert not page.errors, page.errors
    page.context.close()

    # the manager records the payment of the first part
    page = sized_page(browser, live_server, SIZES[0][1])
    log_in(page, "supervisor", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/sales/invoices/{first.pk}/")
    page.get_by_test_id("invoice-mark-paid").click()
    page.get_by_test_id("invoice-paid-on").wait_for()
    first.refresh_from_db()
    assert first.status == InvoiceStatus.PAID
    assert page.get_by_test_id("invoice-status").inner_text() == "Fizetve"
    page.goto("/sales/invoices/?state=open")
    assert page.get_by_test_id("invoice-row").count() == 1
    assert not page.errors, page.errors
    page.context.close()

    pages = {
        "list": "/sales/invoices/",
        "invoice": f"/sales/invoices/{first.pk}/",
        "form": f"/sales/orders/{order.pk}/invoice/",
        "delivery": f"/sales/deliveries/{delivery.pk}/",
        "order": f"/sales/orders/{order.pk}/",
    }
    for label, size in SIZES:
        page = sized_page(browser, live_server, size)
        log_in(page, "supervisor", PASSWORD)
        page.wait_for_url("**/")
        for name, url in pages.items():
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size[0], f"{name} at {label}: {width} px wide"
            screenshot(page, f"invoices-{name}-{label}")
        assert not page.errors, page.errors
        page.context.close()
