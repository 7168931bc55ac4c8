"""Issue 23's "saves it": a sales manager saves the query built in the browser, the builder
opens on it, and its run page asks the parameter and shows the result (desktop and phone).
Skipped until the saved queries (the SAVED helper's models) are there."""

import pytest

pytest.importorskip("crm.querybuilder.models")

from crm.demo import DEMO_PASSWORD  # noqa: E402

from .conftest import log_in, screenshot, sized_page  # noqa: E402
from .test_querybuilder import MANAGER, _last, _settled, _spec  # noqa: E402


def test_a_manager_saves_a_query_and_runs_it_with_an_asked_value(browser, live_server, demo):
    SavedQuery = pytest.importorskip("crm.querybuilder.models").SavedQuery
    fixtures = pytest.importorskip("tests.crm.querybuilder.saved_fixtures")

    # a live-server test before flushed the data migrations' grants (saving needs one)
    fixtures.ensure_querybuilder_defaults()
    for name, size in (("desktop", (1280, 800)), ("phone", (390, 844))):
        page = sized_page(browser, live_server, size)
        log_in(page, MANAGER, DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto("/reports/")
        page.get_by_test_id("qb-result").get_by_test_id("qb-table").wait_for()
        filters = page.get_by_test_id("qb-filters-section")
        filters.get_by_test_id("qb-add-condition").first.click()
        _last(filters, "qb-condition").get_by_test_id("qb-field").select_option("city")
        _last(filters, "qb-condition").get_by_test_id("qb-op").select_option("equals")
        _last(filters, "qb-condition").get_by_test_id("qb-value").fill("Budapest")
        _last(filters, "qb-condition").get_by_test_id("qb-ask").check()
        param = _last(filters, "qb-condition").get_by_test_id("qb-param")
        param.fill("varos")
        page.wait_for_function(
            "() => JSON.parse(document.querySelector('#qb-spec-input').value)"
            ".filter.items.some(i => i.param === 'varos')"
        )
        page.get_by_test_id("qb-save-open").click()
        page.get_by_test_id("qb-save-name").fill(f"Városi partnerek ({name})")
        _settled(page)
        assert set(page.locator("#qb-result tbody tr td:nth-child(2)").all_inner_texts()) == {
            "Budapest"
        }
        screenshot(page, f"querybuilder-save-panel-{name}")
        page.get_by_test_id("qb-save-as").click()
        page.wait_for_url("**/reports/?q=*")
        query = SavedQuery.objects.get(name=f"Városi partnerek ({name})")
        assert query.spec["filter"]["items"][0]["param"] == "varos"
        assert page.get_by_test_id("qb-title").inner_text() == query.name
        assert _spec(page)["filter"] == query.spec["filter"]
        page.get_by_test_id("qb-result").get_by_test_id("qb-table").wait_for()
        screenshot(page, f"querybuilder-saved-{name}")

        page.get_by_test_id("qb-run-saved").click()
        page.wait_for_url("**/reports/run/?q=*")
        field = page.get_by_test_id("param-varos")
        assert field.input_value() == "Budapest"
        field.fill("Szeged")
        page.get_by_test_id("qb-run").click()
        page.wait_for_url("**p_varos=Szeged**")
        cities = page.get_by_test_id("qb-table").locator("tbody tr td:nth-child(2)")
        assert cities.count() and set(cities.all_inner_texts()) == {"Szeged"}
        screenshot(page, f"querybuilder-run-{name}")
        assert not page.errors, page.errors
        page.context.close()


def test_a_shipped_report_per_rep_per_week_is_drawn_as_lines(browser, live_server, demo):
    """The built-in "activities per rep per week": two groupings, so a line per rep over the
    weeks; the builder shows it as the manager opens it."""
    SavedQuery = pytest.importorskip("crm.querybuilder.models").SavedQuery
    from crm.querybuilder.builtins import ensure_builtins

    ensure_builtins()
    query = SavedQuery.objects.get(builtin="activities-per-rep-per-week")
    for name, size in (("desktop", (1280, 800)), ("phone", (390, 844))):
        page = sized_page(browser, live_server, size)
        log_in(page, MANAGER, DEMO_PASSWORD)
        page.wait_for_url("**/")
        page.goto(f"/reports/?q={query.pk}")
        chart = page.get_by_test_id("qb-result").get_by_test_id("qb-chart")
        chart.wait_for()
        assert page.get_by_test_id("qb-trunc").input_value() == "week"
        page.locator("[data-qb-chart-type=line]").click()
        canvas = chart.locator("canvas")
        assert canvas.evaluate("c => c.qbChart.config.type") == "line"
        datasets = canvas.evaluate("c => c.qbChart.data.datasets.map(d => d.label)")
        assert len(datasets) >= 2  # a line per rep
        page.wait_for_timeout(400)  # the lines' drawing animation
        screenshot(page, f"querybuilder-per-rep-per-week-{name}")
        assert not page.errors, page.errors
        page.context.close()
