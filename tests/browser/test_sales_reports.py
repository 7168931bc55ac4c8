"""The sales manager opens the sales reports from the sales tabs and reads the forecast chart
(drawn by Chart.js in the browser), picks a period, and downloads the Excel file; the page at
desktop and phone size."""

from tests.sales.conftest import org  # noqa: F401 - the persona fixture
from tests.sales.test_reports import deals  # noqa: F401 - the deals fixture

from .conftest import SIZES, log_in, open_menu, screenshot, sized_page
from .sales_steps import chart_drawn

PASSWORD = "Titkos-jelszo-2026"
NBSP = "\xa0"


def test_the_manager_reads_the_forecast_chart_and_downloads_the_report(
    page,
    org,  # noqa: F811
    deals,  # noqa: F811
    browser,
    live_server,
):
    manager = org.supervisor
    manager.set_password(PASSWORD)
    manager.save()
    log_in(page, manager.username, PASSWORD)
    page.wait_for_url("**/")
    open_menu(page, "Értékesítés")
    page.wait_for_url("**/sales/")
    page.get_by_test_id("sales-nav-reports").click()
    page.wait_for_url("**/sales/reports/")
    chart = chart_drawn(page, "forecast-chart")
    assert chart["width"] > 300 and chart["height"] > 150
    assert chart["sets"] == ["Súlyozott előrejelzés", "Megnyert"]
    assert chart["weighted"] == 11750  # 6 750 (the owner's, 75 %) + 5 000 (the peer's, 10 %)
    assert len(chart["labels"]) == 12 and chart["labels"][0].endswith("január")
    assert chart_drawn(page, "stages-chart")["width"] > 100
    summary = page.get_by_test_id("report-summary").inner_text()
    assert f"59{NBSP}000{NBSP}Ft" in summary and "50 %" in summary
    screenshot(page, "sales-reports")
    # a period typed wrong is told; a preset puts it right
    page.locator("#id_end").fill("2020-01-01")
    page.get_by_test_id("report-apply").click()
    page.get_by_test_id("report-errors").get_by_text("kezdete előtt van").wait_for()
    page.get_by_test_id("report-presets").get_by_text("Ez az év").click()
    chart_drawn(page, "forecast-chart")
    with page.expect_download() as download:
        page.get_by_test_id("report-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert [e for e in page.console_errors if "400" not in e] == []

    for label, size in SIZES:
        sized = sized_page(browser, live_server, size)
        log_in(sized, manager.username, PASSWORD)
        sized.wait_for_url("**/")
        sized.goto("/sales/reports/")
        chart_drawn(sized, "forecast-chart")
        width = sized.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0] + 1, f"{label}: the page is {width} px wide"
        screenshot(sized, f"sales-reports-{label}")
        assert not sized.errors
        sized.context.close()
