"""Steps of the sales chain in the browser, shared by the sales browser tests: adding an
opportunity line, recording a delivery, and waiting for a Chart.js chart of the reports page."""

from django.db.models import F

from sales.models import Product


def add_line(page, code: str, quantity: str, *, subcontractor: str = ""):
    """On an opportunity's page: one line of product ``code``, optionally with a
    subcontractor ticked; waits for the row HTMX draws."""
    add = page.get_by_test_id("add-line")
    if add.get_attribute("open") is None:
        add.locator("summary").click()
    form = page.get_by_test_id("line-form")
    product = Product.objects.get(code=code)
    form.locator("[name=product]").select_option(str(product.pk))
    form.locator("[name=quantity]").fill(quantity)
    if subcontractor:
        form.get_by_label(subcontractor).check()
    before = page.get_by_test_id("line").count()
    form.get_by_test_id("add-line-button").click()
    page.get_by_test_id("line").nth(before).wait_for()  # the new row, drawn by HTMX


def deliver(page, order, quantities: dict[str, str], received_by: str):
    """Opens the order's delivery form and types a quantity per open line (by the line's
    name; "0" for the lines not named); returns the form, not yet saved."""
    page.goto(f"/sales/orders/{order.pk}/")
    page.get_by_test_id("order-deliver").click()
    page.wait_for_url("**/deliver/")
    form = page.get_by_test_id("delivery-form")
    for line in order.lines.filter(quantity_delivered__lt=F("quantity")):
        form.locator(f"[name=line-{line.pk}]").fill(quantities.get(line.name, "0"))
    form.locator("[name=received_by]").fill(received_by)
    return form


def chart_drawn(page, testid: str) -> dict:
    """Waits until the reports page's chart ``testid`` is drawn; its size, labels, data set
    names and the sum of the first data set."""
    canvas = page.get_by_test_id(testid)
    canvas.wait_for()
    page.wait_for_function(
        "id => document.querySelector(`[data-testid='${id}']`).dataset.drawn === '1'", arg=testid
    )
    return page.evaluate(
        """id => {
            const canvas = document.querySelector(`[data-testid='${id}']`);
            const chart = canvas.salesChart;
            return {
                width: canvas.width,
                height: canvas.height,
                labels: chart.data.labels,
                sets: chart.data.datasets.map(s => s.label),
                weighted: chart.data.datasets[0].data.reduce((a, b) => a + b, 0),
            };
        }""",
        testid,
    )
