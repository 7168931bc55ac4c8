"""Opportunities through their services: the state machine, the automated stages, lines priced
by the rules or by hand, the call-back task."""

import datetime
from decimal import Decimal as D

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activities.defaults import ensure_defaults
from activities.models import Activity, Kind
from crm.versioning import Conflict
from sales import pipeline
from sales.models import (
    DiscountRule,
    Opportunity,
    OpportunityStatus,
    ProductCategory,
    SalesSettings,
    StageChange,
)
from sales.services import callback_schedule, line_delete
from tests.partners.conftest import make_partner

from .helpers import add_line, make_opportunity, make_product, make_subcontractor, stage

pytestmark = pytest.mark.django_db


def test_a_new_opportunity_starts_in_the_first_stage_with_its_probability(org):
    opp = make_opportunity(org.owner)
    assert (opp.stage.name_en, opp.probability, opp.status) == ("New", 10, "open")
    assert opp.owner == org.owner and opp.company == org.company
    assert StageChange.objects.filter(opportunity=opp, from_stage=None).count() == 1


def test_an_opportunity_for_a_partner_one_does_not_see_is_refused(org):
    theirs = make_partner(org.peer, name="Nem az enyém Kft.")
    with pytest.raises(PermissionDenied):
        make_opportunity(org.owner, partner=theirs)


def test_the_state_machine_allows_and_refuses_moves(org):
    opp = make_opportunity(org.owner)
    company = org.company.pk
    pipeline.opportunity_move(
        user=org.owner, opportunity=opp, stage=stage(company, "Negotiation"), expected_version=1
    )
    assert (opp.probability, opp.version) == (75, 2)
    with pytest.raises(ValidationError) as error:
        pipeline.opportunity_move(
            user=org.owner, opportunity=opp, stage=stage(company, "Lost"), expected_version=2
        )
    assert "lost_reason" in error.value.message_dict
    pipeline.opportunity_move(
        user=org.owner,
        opportunity=opp,
        stage=stage(company, "Lost"),
        expected_version=2,
        lost_reason="price",
        note="Túl drága",
    )
    opp.refresh_from_db()
    assert (opp.status, opp.lost_reason, opp.closed_on) == ("lost", "price", timezone.localdate())
    # reopened, then won: final
    pipeline.opportunity_move(
        user=org.owner, opportunity=opp, stage=stage(company, "New"), expected_version=3
    )
    assert (opp.status, opp.lost_reason, opp.closed_on) == ("open", "", None)
    pipeline.opportunity_move(
        user=org.owner, opportunity=opp, stage=stage(company, "Won"), expected_version=4
    )
    with pytest.raises(ValidationError):
        pipeline.opportunity_move(
            user=org.owner, opportunity=opp, stage=stage(company, "New"), expected_version=5
        )
    assert [c.to_stage.name_en for c in StageChange.objects.filter(opportunity=opp)] == [
        "Won",
        "New",
        "Lost",
        "Negotiation",
        "New",
    ]


def test_a_stale_move_is_refused_and_changes_nothing(org):
    opp = make_opportunity(org.owner)
    company = org.company.pk
    stale = Opportunity.objects.get(pk=opp.pk)
    pipeline.opportunity_move(
        user=org.supervisor, opportunity=opp, stage=stage(company, "Quoted"), expected_version=1
    )
    with pytest.raises(Conflict):
        pipeline.opportunity_move(
            user=org.owner,
            opportunity=stale,
            stage=stage(company, "Negotiation"),
            expected_version=1,
        )
    opp.refresh_from_db()
    assert opp.stage.name_en == "Quoted"
    assert StageChange.objects.filter(opportunity=opp).count() == 2


def test_a_stage_of_another_company_is_refused(org):
    opp = make_opportunity(org.owner)
    theirs = pipeline.stages_of(org.other_company.pk)[1]
    with pytest.raises(PermissionDenied):
        pipeline.opportunity_move(user=org.owner, opportunity=opp, stage=theirs, expected_version=1)


def test_a_typed_probability_lasts_until_the_next_move(org):
    opp = make_opportunity(org.owner, probability=35)
    assert opp.probability_set and opp.probability == 35
    pipeline.opportunity_move(
        user=org.owner, opportunity=opp, stage=stage(org.company.pk, "Quoted"), expected_version=1
    )
    assert (opp.probability, opp.probability_set) == (50, False)


def test_the_automated_stages_follow_quotes_and_orders(org):
    opp = make_opportunity(org.owner)
    assert pipeline.opportunity_mark_quoted(user=org.owner, opportunity=opp, reference="A-1")
    assert opp.stage.name_en == "Quoted"
    assert not pipeline.opportunity_mark_quoted(user=org.owner, opportunity=opp)  # already
    pipeline.opportunity_move(
        user=org.owner,
        opportunity=opp,
        stage=stage(org.company.pk, "Negotiation"),
        expected_version=opp.version,
    )
    assert not pipeline.opportunity_mark_quoted(user=org.owner, opportunity=opp)  # past it
    assert pipeline.opportunity_mark_won(user=org.owner, opportunity=opp, reference="R-7")
    opp.refresh_from_db()
    assert opp.status == OpportunityStatus.WON
    assert StageChange.objects.filter(opportunity=opp).first().automated == "Order: R-7" or (
        StageChange.objects.filter(opportunity=opp).first().automated.endswith("R-7")
    )
    assert not pipeline.opportunity_mark_won(user=org.owner, opportunity=opp)


def test_lines_are_priced_by_the_rules_and_sum_to_the_value(org):
    tools = ProductCategory.objects.create(code="gep", name_hu="Gépek")
    heater = make_product("H-1", price="1000000", category=tools)
    install = make_product("I-1", price="15000.50", unit="óra", kind="service")
    DiscountRule.objects.create(
        company=org.company, name="Gépek", kind="category", percent=D(5), category=tools
    )
    DiscountRule.objects.create(
        company=org.company,
        name="Telepítéssel",
        kind="combination",
        percent=D(10),
        product=install,
        with_product=heater,
    )
    opp = make_opportunity(org.owner)
    first = add_line(org.owner, opp, install, quantity="3")
    assert first.unit_price == D("15000.50") and first.value == D("45002")  # 45 001,50 rounded
    add_line(org.owner, opp, heater, quantity="2")
    first.refresh_from_db()
    # the heater on the deal brings the installation's combination discount
    assert first.unit_price == D("13500.45") and "Telepítéssel (10 %)" in first.price_source
    opp.refresh_from_db()
    assert opp.value == D("1900000") + D("40501")  # 3 × 13 500,45 = 40 501,35
    assert opp.weighted_value == D("194050")  # 10 %, whole forints


def test_bad_line_input_gets_clear_messages(org):
    opp = make_opportunity(org.owner)
    product = make_product()
    for quantity in ("0", "-2"):
        with pytest.raises(ValidationError) as error:
            add_line(org.owner, opp, product, quantity=quantity)
        assert "zero" in str(error.value) or "nullánál" in str(error.value)
    with pytest.raises(ValidationError) as error:
        add_line(org.owner, opp, product, manual_discount=D(120))
    assert "manual_discount" in error.value.message_dict
    old = make_product("OLD", active=False)
    with pytest.raises(ValidationError) as error:
        add_line(org.owner, opp, old)
    assert "product" in error.value.message_dict
    assert not opp.lines.exists()


def test_a_deactivated_product_stays_on_lines_that_have_it(org):
    product = make_product()
    opp = make_opportunity(org.owner)
    line = add_line(org.owner, opp, product, quantity="1")
    product.active = False
    product.save()
    line.quantity = D(4)
    from sales.services import line_save

    line_save(user=org.owner, opportunity=opp, line=line)
    line.refresh_from_db()
    assert line.quantity == 4


def test_a_large_hand_typed_discount_needs_the_function_and_a_reason(org):
    SalesSettings.objects.create(company=org.company, manual_discount_limit=D(10))
    product = make_product(price="1000")
    opp = make_opportunity(org.owner)
    line = add_line(org.owner, opp, product, quantity="2", manual_discount=D(8))
    assert (line.manual, line.unit_price, line.value) == (True, D("920.00"), D("1840"))
    with pytest.raises(ValidationError) as error:
        add_line(org.owner, opp, product, manual_price=D(800), reason="nagy tétel")
    assert "manual_price" in error.value.message_dict  # a rep lacks the function
    manager_opp = make_opportunity(org.supervisor, name="Vezetői")
    with pytest.raises(ValidationError) as error:
        add_line(org.supervisor, manager_opp, product, manual_price=D(800))
    assert "reason" in error.value.message_dict
    line = add_line(
        org.supervisor, manager_opp, product, manual_price=D("800"), reason="Kiemelt partner"
    )
    assert line.manual_reason == "Kiemelt partner" and line.discount_percent == D(20)


def test_subcontractors_are_the_companys_and_lines_of_a_closed_deal_are_fixed(org):
    product = make_product()
    opp = make_opportunity(org.owner)
    ours = make_subcontractor(org.owner, org.company)
    theirs = make_subcontractor(org.owner, org.other_company, name="Idegen Kft.")
    line = add_line(org.owner, opp, product, subcontractors=[ours])
    assert list(line.subcontractors.all()) == [ours]
    with pytest.raises(ValidationError):
        add_line(org.owner, opp, product, subcontractors=[theirs])
    pipeline.opportunity_move(
        user=org.owner,
        opportunity=opp,
        stage=stage(org.company.pk, "Won"),
        expected_version=opp.version,
    )
    with pytest.raises(ValidationError):
        line_delete(user=org.owner, opportunity=opp, line=line)


def test_a_call_back_is_a_task_of_the_rep(org):
    ensure_defaults(django_apps)  # a transactional test before may have flushed the types
    opp = make_opportunity(org.owner)
    when = timezone.now() + datetime.timedelta(days=2)
    task = callback_schedule(user=org.owner, opportunity=opp, on=when, note="Árajánlat után")
    task = Activity.objects.get(pk=task.pk)
    assert (task.kind, task.owner, task.partner_id) == (Kind.TASK, org.owner, opp.partner_id)
    assert opp.name in task.subject
