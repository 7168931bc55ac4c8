"""The pricing service's sums (sales/pricing.py): pure functions, no database."""

from decimal import Decimal as D

import pytest

from sales import pricing
from sales.pricing import BEST, STACK, Buyer, Line, Rule

ANVIL, HAMMER, NAILS = 1, 2, 3
TOOLS, SMALL = 10, 11
PARTNER, OTHER = 100, 101
RESELLERS = 7
BUYER = Buyer(partner_id=PARTNER, tag_ids=frozenset({RESELLERS}))


def line(product=ANVIL, quantity="1", price="1000", category=TOOLS):
    return Line(
        product_id=product,
        category_id=category,
        quantity=D(quantity),
        base_price=D(price),
        base_source="Listaár",
    )


def rule(id, kind, percent, name="", **conditions):
    return Rule(id=id, name=name or f"r{id}", kind=kind, percent=D(percent), **conditions)


def price(the_line, rules, mode=BEST, currency="HUF", products=None, buyer=BUYER):
    products = frozenset(products or {the_line.product_id})
    return pricing.price_line(
        the_line, rules=rules, buyer=buyer, products=products, mode=mode, currency=currency
    )


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.50", "HUF", "1235"),  # half up, whole forints
        ("1234.49", "HUF", "1234"),
        ("0.5", "HUF", "1"),
        ("1234.505", "EUR", "1234.51"),
        ("1234.504", "EUR", "1234.50"),
    ],
)
def test_money_is_rounded_as_documents_round_it(amount, currency, expected):
    assert pricing.round_money(D(amount), currency) == D(expected)


def test_without_rules_the_base_price_stands_and_the_source_says_so():
    result = price(line(quantity="3", price="1234.50"), [])
    assert result.unit_price == D("1234.50")
    assert result.value == D("3704")  # 3 703,50 rounded to whole forints
    assert result.discount_percent == 0
    assert result.source == "Listaár"


def test_a_value_in_euros_keeps_its_cents():
    result = price(line(quantity="3", price="10.05"), [], currency="EUR")
    assert result.value == D("30.15")


def test_only_the_highest_quantity_break_reached_counts():
    breaks = [
        rule(1, "quantity", "5", "10+", product_id=ANVIL, min_quantity=D(10)),
        rule(2, "quantity", "8", "50+", product_id=ANVIL, min_quantity=D(50)),
        rule(3, "quantity", "12", "100+", product_id=ANVIL, min_quantity=D(100)),
    ]
    assert price(line(quantity="9"), breaks, mode=STACK).discount_percent == 0
    assert [r.name for r in price(line(quantity="50"), breaks, mode=STACK).applied] == ["50+"]
    assert price(line(quantity="50"), breaks, mode=STACK).unit_price == D("920.00")
    assert price(line(quantity="150"), breaks, mode=STACK).discount_percent == D(12)


def test_a_quantity_break_of_a_category():
    breaks = [rule(1, "quantity", "5", category_id=SMALL, min_quantity=D(10))]
    assert price(line(quantity="20", category=TOOLS), breaks).discount_percent == 0
    assert price(line(quantity="20", category=SMALL), breaks).discount_percent == D(5)


def test_partner_and_partner_group_discounts_need_that_buyer():
    rules = [
        rule(1, "partner", "3", "own", partner_id=PARTNER),
        rule(2, "partner", "4", "group", tag_id=RESELLERS),
    ]
    stranger = Buyer(partner_id=OTHER)
    assert price(line(), rules, buyer=stranger).applied == ()
    assert [r.name for r in price(line(), rules).applied] == ["group"]  # the best
    assert price(line(), rules, mode=STACK).discount_percent == D("6.88")  # 1 - .97 × .96


def test_a_category_discount_applies_to_that_category_only():
    rules = [rule(1, "category", "10", category_id=TOOLS)]
    assert price(line(category=TOOLS), rules).unit_price == D("900.00")
    assert price(line(category=SMALL), rules).unit_price == D("1000.00")
    assert price(line(category=None), rules).unit_price == D("1000.00")


def test_a_combination_needs_the_other_product_on_the_deal():
    rules = [
        rule(1, "combination", "15", "anvil with hammer", product_id=ANVIL, with_product_id=HAMMER)
    ]
    assert price(line(), rules, products={ANVIL, NAILS}).applied == ()
    assert price(line(), rules, products={ANVIL, HAMMER}).discount_percent == D(15)
    # the hammer itself is not discounted by its own combination
    assert price(line(product=HAMMER), rules, products={ANVIL, HAMMER}).applied == ()


def test_stacking_applies_each_rule_on_what_the_previous_left():
    rules = [
        rule(1, "category", "10", "cat", category_id=TOOLS),
        rule(2, "partner", "5", "partner", partner_id=PARTNER),
    ]
    stacked = price(line(price="1000"), rules, mode=STACK)
    assert stacked.discount_percent == D("14.50")
    assert stacked.unit_price == D("855.00")
    assert stacked.source == "Listaár; cat (10 %); partner (5 %)"
    best = price(line(price="1000"), rules, mode=BEST)
    assert best.discount_percent == D(10)
    assert best.unit_price == D("900.00")
    assert best.source == "Listaár; cat (10 %)"


def test_the_best_rule_on_a_tie_is_the_older_one():
    rules = [
        rule(2, "category", "10", "newer", category_id=TOOLS),
        rule(1, "partner", "10", "older", partner_id=PARTNER),
    ]
    assert [r.name for r in price(line(), rules).applied] == ["older"]


def test_price_lines_lets_combinations_see_the_other_lines():
    rules = [rule(1, "combination", "20", product_id=NAILS, with_product_id=HAMMER)]
    lines = [line(product=HAMMER, price="5000"), line(product=NAILS, quantity="1000", price="2.5")]
    priced = pricing.price_lines(lines, rules=rules, buyer=BUYER, mode=BEST, currency="HUF")
    assert [p.unit_price for p in priced] == [D("5000.00"), D("2.00")]
    assert priced[1].value == D("2000")


def test_a_fractional_discount_rounds_the_unit_price_to_cents():
    result = price(
        line(price="999", quantity="7"), [rule(1, "category", "12.5", category_id=TOOLS)]
    )
    assert result.unit_price == D("874.13")  # 874,125 half up
    assert result.value == D("6119")  # 6 118,91


def test_a_hand_typed_price_is_measured_against_the_rules_price():
    manual = pricing.manual_price(
        base_price=D(1000), rules_price=D(900), quantity=D(2), currency="HUF", unit_price=D(810)
    )
    assert manual.discount_percent == D(19)  # off the base price
    assert manual.beyond_rules == D(10)  # off what the rules gave
    assert manual.value == D(1620)
    assert not pricing.needs_approval(manual, D(10))
    assert pricing.needs_approval(manual, D("9.99"))


def test_a_hand_typed_discount_and_a_dearer_price():
    manual = pricing.manual_price(
        base_price=D(1000),
        rules_price=D(1000),
        quantity=D(1),
        currency="HUF",
        discount_percent=D(25),
    )
    assert manual.unit_price == D("750.00")
    assert pricing.needs_approval(manual, D(20))
    dearer = pricing.manual_price(
        base_price=D(1000), rules_price=D(900), quantity=D(1), currency="HUF", unit_price=D(950)
    )
    assert dearer.beyond_rules < 0
    assert not pricing.needs_approval(dearer, D(0))


def test_a_free_product_has_no_percentage_to_divide_by():
    manual = pricing.manual_price(
        base_price=D(0), rules_price=D(0), quantity=D(1), currency="HUF", unit_price=D(0)
    )
    assert manual.discount_percent == 0 and manual.beyond_rules == 0
