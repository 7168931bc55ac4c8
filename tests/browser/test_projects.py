"""Projects in the browser with the demo data: a rep records a project for a partner, plans
its products (one quantity typed the Hungarian way, a zero refused), links the partner's quoted
opportunity and reads planned vs quoted; the project pages and the partner's sales tab at
desktop and phone size."""

from decimal import Decimal as D

from crm.demo import DEMO_PASSWORD
from partners.models import Partner
from sales.models import Opportunity, Product, Project
from sales.quotes import quote_from_opportunity
from sales.services import line_save, opportunity_create

from .conftest import SIZES, log_in, open_menu, screenshot, sized_page


def _quoted_opportunity(partner, user) -> Opportunity:
    """An opportunity of the partner with two heat pumps on it, quoted (as the rep would)."""
    from sales.models import OpportunityLine

    opportunity = opportunity_create(
        user=user, opportunity=Opportunity(name="Iroda hőszivattyú", partner=partner)
    )
    line = OpportunityLine(product=Product.objects.get(code="HSZ-08"), quantity=D(2))
    line_save(user=user, opportunity=opportunity, line=line)
    quote_from_opportunity(user=user, opportunity=opportunity)
    return opportunity


def _add_product(page, code: str, planned: str):
    form = page.get_by_test_id("project-product-add")
    form.locator("[name=product]").select_option(str(Product.objects.get(code=code).pk))
    form.locator("[name=planned]").fill(planned)
    form.get_by_test_id("add-project-product").click()
    page.wait_for_load_state()


def test_a_rep_plans_a_project_and_reads_planned_against_quoted(page, demo, browser, live_server):
    partner = Partner.objects.filter(owners__user__username="kovacs.anna").order_by("name")[0]
    rep = partner.owners.get(user__username="kovacs.anna").user
    opportunity = _quoted_opportunity(partner, rep)
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    open_menu(page, "Értékesítés")
    page.wait_for_url("**/sales/")
    page.get_by_test_id("sales-nav-projects").click()
    page.wait_for_url("**/sales/projects/")
    page.get_by_test_id("new-project").click()
    page.locator("#partner-q").fill(partner.name[:12])
    page.get_by_test_id("partner-choices").get_by_text(partner.name).click()
    form = page.get_by_test_id("project-form")
    form.locator("[name=name]").fill("Irodaház fűtéskorszerűsítés")
    form.locator("[name=start_on]").fill("2027-02-01")
    form.locator("[name=end_on]").fill("2027-01-15")  # before the start: refused
    form.get_by_test_id("save-project").click()
    page.get_by_text("A projekt nem érhet véget a kezdete előtt.").first.wait_for()
    assert not Project.objects.filter(name="Irodaház fűtéskorszerűsítés").exists()
    page.get_by_test_id("project-form").locator("[name=end_on]").fill("2027-06-30")
    screenshot(page, "sales-project-form")
    page.get_by_test_id("project-form").get_by_test_id("save-project").click()
    page.wait_for_url("**/sales/projects/*/")
    project = Project.objects.get(name="Irodaház fűtéskorszerűsítés")
    assert project.owner.username == "kovacs.anna" and project.partner == partner
    dates = page.get_by_test_id("project-dates").inner_text()
    assert dates == "2027. 02. 01. – 2027. 06. 30.", dates

    _add_product(page, "HSZ-08", "4")
    _add_product(page, "CSO-22", "1 234,5")
    _add_product(page, "TEL-01", "0")
    page.get_by_text("A mennyiségnek nagyobbnak kell lennie nullánál.").first.wait_for()
    assert [(p.product.code, p.planned) for p in project.products.order_by("pk")] == [
        ("HSZ-08", D(4)),
        ("CSO-22", D("1234.5")),
    ]
    # the partner's quoted opportunity joins the project: 2 of the 4 heat pumps are quoted
    link = page.get_by_test_id("link-opportunity")
    link.locator("select").select_option(str(opportunity.pk))
    link.get_by_role("button").click()
    page.wait_for_load_state()
    row = page.get_by_test_id("project-product-HSZ-08")
    assert row.get_by_test_id("planned").inner_text().replace("\xa0", " ") == "4 db"
    assert row.get_by_test_id("quoted").inner_text().replace("\xa0", " ") == "2 db"
    assert row.get_by_test_id("ordered").inner_text().replace("\xa0", " ") == "0 db"
    assert page.get_by_test_id("project-opportunities").get_by_text("Iroda hőszivattyú").count()
    screenshot(page, "sales-project-detail")
    assert not page.console_errors

    # the project and its quote on the partner's sales tab
    page.goto(f"/partners/{partner.pk}/?tab=sales")
    tab = page.get_by_test_id("partner-sales")
    tab.get_by_test_id("partner-projects").get_by_text("Irodaház fűtéskorszerűsítés").wait_for()
    assert tab.get_by_test_id("partner-quotes").count() == 1
    assert tab.get_by_test_id("pipeline-HUF").count() == 1

    # the demo's own projects (sales/project_demo.py) came with the demo data
    demo_project = Project.objects.exclude(pk=project.pk).filter(owner__username="kovacs.anna")
    assert demo_project.exists() and demo_project[0].products.exists()
    pages = {
        "projects": "/sales/projects/",
        "project-demo": f"/sales/projects/{demo_project[0].pk}/",
        "project": f"/sales/projects/{project.pk}/",
        "project-edit": f"/sales/projects/{project.pk}/edit/",
        "project-start": "/sales/projects/new/?q=Kft",
        "partner-sales-360": f"/partners/{partner.pk}/?tab=sales",
    }
    for label, size in SIZES:
        sized = sized_page(browser, live_server, size)
        log_in(sized, "kovacs.anna", DEMO_PASSWORD)
        sized.wait_for_url("**/")
        for name, url in pages.items():
            sized.goto(url)
            width = sized.evaluate("document.documentElement.scrollWidth")
            assert width <= size[0], f"{name} at {label}: {width} px wide"
            screenshot(sized, f"sales-{name}-{label}")
        assert not sized.errors, sized.errors
        sized.context.close()
