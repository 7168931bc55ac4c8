"""Saved queries in the browser: a sales manager finds the shipped queries and his own, shares
his with a colleague, schedules it for two reps; a rep sees it shared with her group; the
search filters without a reload. Desktop and phone screenshots."""

import pytest
from django.core.management import call_command

from crm.demo import DEMO_PASSWORD
from crm.querybuilder.builtins import load_demo
from crm.querybuilder.models import SavedQuery, ScheduledReport
from tests.crm.querybuilder.saved_fixtures import ensure_querybuilder_defaults

from .conftest import SIZES, log_in, screenshot, sized_page


@pytest.fixture
def demo_queries(db):
    ensure_querybuilder_defaults()
    call_command("load_demo")
    load_demo()
    return SavedQuery.objects.get(owner__username="nagy.peter", builtin="")


def test_a_manager_shares_and_schedules_and_a_rep_sees_it(page, demo_queries):
    log_in(page, "nagy.peter", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/reports/saved/")
    rows = page.get_by_test_id("saved-query")
    assert rows.count() == 6  # the five shipped ones and his own
    assert page.get_by_test_id("builtin-badge").count() == 5
    screenshot(page, "saved-queries")

    page.fill("#saved-search", "pest")
    rows.nth(1).wait_for(state="detached")  # htmx swapped in the matching rows
    assert rows.count() == 1 and "q=pest" in page.url

    page.locator("[data-testid=share]:visible").click()
    page.get_by_label("Kiss Eszter").check()
    screenshot(page, "saved-query-share")
    page.get_by_role("button", name="Mentés").click()
    page.wait_for_url("**/reports/saved/")
    assert demo_queries.shared_with_users.filter(username="kiss.eszter").exists()

    page.goto(f"/reports/saved/{demo_queries.pk}/schedules/")
    assert page.get_by_test_id("schedule").count() == 1  # the demo's weekly one
    page.select_option("#id_frequency", "monthly")
    page.fill("#id_day_of_month", "5")
    page.get_by_label("Kovács Anna").check()
    page.get_by_label("Tóth Balázs").check()
    page.get_by_role("button", name="Ütemezés").click()
    page.get_by_test_id("schedule").nth(1).wait_for()
    assert ScheduledReport.objects.filter(saved_query=demo_queries).count() == 2
    screenshot(page, "saved-query-schedules")
    assert page.console_errors == []

    page.context.clear_cookies()
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/reports/saved/")
    assert demo_queries.name in page.get_by_test_id("saved-queries").inner_text()
    assert page.get_by_test_id("shared-badge").count() == 1
    assert page.locator("[data-testid=delete]").count() == 0


@pytest.mark.parametrize(("name", "size"), SIZES)
def test_the_list_fits_both_screens(browser, live_server, demo_queries, name, size):
    page = sized_page(browser, live_server, size)
    log_in(page, "nagy.peter", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/reports/saved/")
    assert page.get_by_test_id("saved-query").count() == 6
    screenshot(page, f"saved-queries-{name}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= size[0], f"the page scrolls sideways on {name}: {width}px"
    page.goto(f"/reports/saved/{demo_queries.pk}/schedules/")
    screenshot(page, f"saved-query-schedules-{name}")
    assert page.errors == []
