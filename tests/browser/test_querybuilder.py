"""Issue 23's "done when" in the browser: a sales manager builds "active partners in Pest
county with a meeting this quarter, grouped by owner" in the query builder, sees it as a
table and a chart, switches the chart's type, and opens the print view; at desktop and phone
size, with screenshots."""

import datetime
import json

from crm.demo import DEMO_PASSWORD

from .conftest import log_in, screenshot, sized_page

MANAGER = "nagy.peter"


def _spec(page) -> dict:
    return json.loads(page.locator("#qb-spec-input").input_value())


def _settled(page):
    """Waits out the preview's debounce (400 ms) and its request."""
    page.wait_for_timeout(600)
    page.wait_for_function("() => !document.querySelector('#qb-loading.htmx-request')")


def _last(page, testid):
    return page.get_by_test_id(testid).last


def _build_the_query(page):
    """Builds the issue's query with the builder's controls, as a user would."""
    page.goto("/reports/")
    builder = page.get_by_test_id("qb-builder")
    builder.get_by_test_id("qb-base").select_option("partners")
    page.get_by_test_id("qb-result").get_by_test_id("qb-table").wait_for()

    filters = page.get_by_test_id("qb-filters-section")
    # status is active
    filters.get_by_test_id("qb-add-condition").first.click()
    condition = _last(filters, "qb-condition")
    condition.get_by_test_id("qb-field").select_option("status")
    condition = _last(filters, "qb-condition")
    condition.get_by_test_id("qb-op").select_option("equals")
    _last(filters, "qb-condition").get_by_test_id("qb-value").select_option("active")
    # county is Pest
    filters.get_by_test_id("qb-add-condition").first.click()
    condition = _last(filters, "qb-condition")
    condition.get_by_test_id("qb-field").select_option("county")
    _last(filters, "qb-condition").get_by_test_id("qb-op").select_option("equals")
    _last(filters, "qb-condition").get_by_test_id("qb-value").select_option("PE")
    # has activities where the kind is meeting and it starts this quarter
    filters.get_by_test_id("qb-add-related").first.select_option("activities")
    related = filters.get_by_test_id("qb-relation").last
    related.get_by_test_id("qb-add-condition").click()
    related = filters.get_by_test_id("qb-relation").last
    _last(related, "qb-condition").get_by_test_id("qb-field").select_option("kind")
    related = filters.get_by_test_id("qb-relation").last
    _last(related, "qb-condition").get_by_test_id("qb-op").select_option("equals")
    _last(filters.get_by_test_id("qb-relation").last, "qb-condition").get_by_test_id(
        "qb-value"
    ).select_option("meeting")
    filters.get_by_test_id("qb-relation").last.get_by_test_id("qb-add-condition").click()
    related = filters.get_by_test_id("qb-relation").last
    _last(related, "qb-condition").get_by_test_id("qb-field").select_option("starts_at")
    related = filters.get_by_test_id("qb-relation").last
    _last(related, "qb-condition").get_by_test_id("qb-op").select_option("relative")
    _last(filters.get_by_test_id("qb-relation").last, "qb-condition").get_by_test_id(
        "qb-value"
    ).select_option("this_quarter")
    # grouped by owner, counted
    page.get_by_test_id("qb-add-group-by").select_option("owner")


def _pest_partners_with_meetings():
    """Active partners in Pest county with a meeting this quarter, of the manager's two reps
    (two of Kovács Anna's, one of Tóth Balázs's), and one without a meeting."""
    from django.utils import timezone

    from activities.models import Activity, ActivityType
    from crm.models import User
    from partners.models import Partner, PartnerStatus, Status
    from partners.services import partner_create

    now = timezone.now()
    made = []
    for username, name, with_meeting in (
        ("kovacs.anna", "Ceglédi Malom Kft.", True),
        ("kovacs.anna", "Váci Nyomda Bt.", True),
        ("toth.balazs", "Érdi Pékség Kft.", True),
        ("toth.balazs", "Szentendrei Üveg Kft.", False),
    ):
        rep = User.objects.get(username=username)
        partner = partner_create(user=rep, partner=Partner(name=name, city="Cegléd", county="PE"))
        PartnerStatus.objects.update_or_create(
            partner=partner, company=rep.current_company, defaults={"status": Status.ACTIVE}
        )
        if with_meeting:
            Activity.objects.create(
                company=rep.current_company,
                owner=rep,
                type=ActivityType.objects.get(code="meeting"),
                partner=partner,
                subject="Bemutató",
                starts_at=now,
                ends_at=now + datetime.timedelta(hours=1),
            )
        made.append(partner)
    return made


def test_a_sales_manager_builds_a_grouped_query_sees_its_chart_and_prints_it(
    browser, live_server, demo
):
    from crm.models import User
    from crm.querybuilder.engine import build

    _pest_partners_with_meetings()

    for name, size in (("desktop", (1280, 800)), ("phone", (390, 844))):
        page = sized_page(browser, live_server, size)
        console = []
        page.on(
            "console", lambda msg, console=console: msg.type == "error" and console.append(msg.text)
        )
        log_in(page, MANAGER, DEMO_PASSWORD)
        page.wait_for_url("**/")
        _build_the_query(page)
        chart = page.get_by_test_id("qb-result").get_by_test_id("qb-chart")
        chart.wait_for()
        spec = _spec(page)
        assert spec["base"] == "partners"
        assert spec["group"] == {"by": [{"field": "owner"}], "measures": [{"fn": "count"}]}
        items = spec["filter"]["items"]
        assert {"field": "status", "op": "equals", "value": "active"} in items
        assert {"field": "county", "op": "equals", "value": "PE"} in items
        related = next(i for i in items if i.get("relation") == "activities")
        assert related["has"] is True
        assert {"field": "kind", "op": "equals", "value": "meeting"} in related["filter"]["items"]
        assert {"field": "starts_at", "op": "relative", "value": "this_quarter"} in related[
            "filter"
        ]["items"]

        # the table shows what the engine gives this manager for the same query
        manager = User.objects.get(username=MANAGER)
        built = build(spec, manager)
        expected = built.page(size=50).rows
        table = page.get_by_test_id("qb-result").get_by_test_id("qb-table")
        page.wait_for_function(
            "n => document.querySelectorAll('#qb-result [data-testid=qb-table] tbody tr').length"
            " === n",
            arg=len(expected),
        )
        shown = [
            [cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in table.locator("tbody tr").all()
        ]
        assert shown == [[str(v) for v in row] for row in expected]
        names = [row[0] for row in shown]
        assert "Kovács Anna" in names and "Tóth Balázs" in names
        # the chart is drawn (Chart.js sized the canvas) and switches to a pie
        canvas = chart.locator("canvas")
        assert canvas.evaluate("c => !!c.qbChart && c.width > 0")
        page.locator("[data-qb-chart-type=pie]").click()
        assert canvas.evaluate("c => c.qbChart.config.type") == "pie"
        page.wait_for_timeout(500)  # the pie's opening animation
        screenshot(page, f"querybuilder-grouped-{name}")

        # print view in a new tab: title, the filters as text, the table and the chart
        with page.context.expect_page() as new_page:
            page.get_by_test_id("qb-print").click()
        printed = new_page.value
        printed.wait_for_load_state()
        printed.get_by_test_id("qb-chart-picture").wait_for()
        filters = printed.get_by_test_id("qb-print-filters").inner_text()
        assert "Pest" in filters
        assert printed.get_by_test_id("qb-table").locator("tbody tr").count() == len(expected)
        assert "qb-print-portrait" in printed.locator("body").get_attribute("class")
        assert manager.get_full_name() in printed.get_by_test_id("qb-print-meta").inner_text()
        screenshot(printed, f"querybuilder-print-{name}")
        pdf = printed.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        assert not console, console
        assert not page.errors, page.errors
        page.context.close()


def test_columns_are_dragged_into_order_and_a_bad_value_is_named(
    browser, live_server, demo, monkeypatch
):
    import crm.querybuilder.views as views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)  # the live server runs in this process
    page = sized_page(browser, live_server, (1280, 800))
    log_in(page, MANAGER, DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/reports/")
    page.get_by_test_id("qb-result").get_by_test_id("qb-table").wait_for()
    columns = page.get_by_test_id("qb-columns")
    before = _spec(page)["columns"]
    assert len(before) >= 3
    chips = columns.get_by_test_id("qb-column")
    chips.nth(2).drag_to(chips.nth(0))
    page.wait_for_function(
        "first => JSON.parse(document.querySelector('#qb-spec-input').value).columns[0] === first",
        arg=before[2],
    )
    after = _spec(page)["columns"]
    assert sorted(after) == sorted(before) and after[0] == before[2]
    # the preview follows: its first column is the chip dragged first
    page.wait_for_function(
        "label => (document.querySelector('#qb-result thead th') || {}).textContent === label",
        arg=chips.nth(0).inner_text().strip(),
    )

    # the keyboard's way: the focused first chip moves one place right with the arrow key
    chips.nth(0).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "first => JSON.parse(document.querySelector('#qb-spec-input').value).columns[1] === first",
        arg=before[2],
    )
    assert page.evaluate("() => document.activeElement.dataset.path") == before[2]

    # the preview pages by keyset: next page, then back to the first
    result = page.get_by_test_id("qb-result")
    _settled(page)
    page.wait_for_function("() => document.querySelectorAll('#qb-result tbody tr').length === 5")
    first = result.locator("tbody tr").all_inner_texts()
    result.get_by_test_id("qb-next").click()
    page.wait_for_function(
        "old => document.querySelector('#qb-result tbody tr').innerText !== old", arg=first[0]
    )
    second = result.locator("tbody tr").all_inner_texts()
    assert not set(first) & set(second)
    result.get_by_test_id("qb-previous").click()
    page.wait_for_function(
        "old => document.querySelector('#qb-result tbody tr').innerText === old", arg=first[0]
    )
    assert result.locator("tbody tr").all_inner_texts() == first

    # a date typed in Hungarian is accepted; a malformed one is named by the preview
    filters = page.get_by_test_id("qb-filters-section")
    filters.get_by_test_id("qb-add-condition").first.click()
    _last(filters, "qb-condition").get_by_test_id("qb-field").select_option("created_at")
    _last(filters, "qb-condition").get_by_test_id("qb-op").select_option("between")
    _last(filters, "qb-condition").get_by_test_id("qb-value-from").fill("2020. 01. 01.")
    _last(filters, "qb-condition").get_by_test_id("qb-value-to").fill("2030. 12. 31.")
    page.get_by_test_id("qb-result").get_by_test_id("qb-table").wait_for()
    to = _last(filters, "qb-condition").get_by_test_id("qb-value-to")
    to.fill("2030. 13. 45.")
    assert "is-invalid" in to.get_attribute("class")  # marked at once, named by the server
    problem = page.get_by_test_id("qb-problem")
    problem.wait_for()
    assert problem.inner_text().strip()
    screenshot(page, "querybuilder-problem-desktop")
    page.context.close()


def _page_size(pdf: bytes) -> tuple[float, float]:
    """The first page's size in points, from the PDF's MediaBox (Chromium writes it plain)."""
    import re

    found = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert found, "no MediaBox in the PDF"
    return float(found[1]), float(found[2])


def test_the_print_view_is_a4_portrait_or_landscape_past_six_columns(browser, live_server, demo):
    page = sized_page(browser, live_server, (1280, 800))
    log_in(page, MANAGER, DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/reports/")
    page.get_by_test_id("qb-result").get_by_test_id("qb-table").wait_for()
    sizes = {}
    for count in (4, 7):
        add = page.get_by_test_id("qb-add-column")
        while len(_spec(page)["columns"]) < count:
            add.select_option(index=1)
            add = page.get_by_test_id("qb-add-column")
        with page.context.expect_page() as new_page:
            page.get_by_test_id("qb-print").click()
        printed = new_page.value
        printed.get_by_test_id("qb-table").wait_for()
        assert printed.locator("thead th").count() == count
        sizes[count] = _page_size(printed.pdf(prefer_css_page_size=True))
        if count == 7:
            screenshot(printed, "querybuilder-print-landscape-desktop")
        printed.close()
    a4 = (595.92, 842.88)
    assert abs(sizes[4][0] - a4[0]) < 2 and abs(sizes[4][1] - a4[1]) < 2, sizes
    assert abs(sizes[7][0] - a4[1]) < 2 and abs(sizes[7][1] - a4[0]) < 2, sizes
    assert not page.errors, page.errors
    page.context.close()
