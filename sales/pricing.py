"""Pricing: the price of a line from its base price and the discount rules, as pure functions.

Nothing here reads the database (``sales.prices`` gathers the inputs), so every case is a
unit test. Money is ``Decimal`` throughout:

- a unit price keeps two decimals (``1 234,50`` Ft may be typed);
- a line's value is quantity × unit price, rounded to whole forints for HUF (Hungarian
  documents carry no fillér) and to cents for EUR, half up, as invoices round;
- discounts: every rule whose conditions hold is a candidate; of quantity breaks only the
  highest break reached counts (they are tiers, not extras). The company's setting then says
  whether the candidates stack (each applies on the price the previous one left:
  10 % and 5 % make 14.5 %) or the best one wins.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
STACK, BEST = "stack", "best"
QUANTITY, PARTNER, CATEGORY, COMBINATION = "quantity", "partner", "category", "combination"


def round_money(amount: Decimal, currency: str) -> Decimal:
    """A value as documents show it: whole forints for HUF, cents for other currencies."""
    exponent = Decimal(1) if currency == "HUF" else CENT
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def round_unit_price(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    kind: str
    percent: Decimal
    product_id: int | None = None
    category_id: int | None = None
    partner_id: int | None = None
    tag_id: int | None = None
    min_quantity: Decimal | None = None
    with_product_id: int | None = None


@dataclass(frozen=True)
class Buyer:
    partner_id: int | None
    tag_ids: frozenset = frozenset()


@dataclass(frozen=True)
class Line:
    product_id: int
    category_id: int | None
    quantity: Decimal
    base_price: Decimal
    base_source: str = ""  # "list price" or the price list's name


@dataclass(frozen=True)
class Priced:
    base_price: Decimal
    base_source: str
    discount_percent: Decimal  # what the rules took off, in per cent (two decimals)
    applied: tuple = ()  # the rules that gave the price
    unit_price: Decimal = Decimal(0)
    value: Decimal = Decimal(0)

    @property
    def source(self) -> str:
        """Which price list and rules gave the price, for the line to show."""
        parts = [self.base_source] if self.base_source else []
        parts += [f"{rule.name} ({_percent(rule.percent)} %)" for rule in self.applied]
        return "; ".join(parts)


def _percent(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def matches(rule: Rule, line: Line, buyer: Buyer, products: frozenset) -> bool:
    """Whether every condition of ``rule`` holds for ``line`` of a deal with ``buyer`` whose
    lines hold ``products`` (ids)."""
    if rule.product_id is not None and rule.product_id != line.product_id:
        return False
    if rule.category_id is not None and rule.category_id != line.category_id:
        return False
    if rule.partner_id is not None and rule.partner_id != buyer.partner_id:
        return False
    if rule.tag_id is not None and rule.tag_id not in buyer.tag_ids:
        return False
    if rule.min_quantity is not None and line.quantity < rule.min_quantity:
        return False
    # a combination: the other product is on the deal, and is not this line's own
    return rule.with_product_id is None or (
        rule.with_product_id != line.product_id and rule.with_product_id in products
    )


def candidates(rules: Iterable[Rule], line: Line, buyer: Buyer, products: frozenset) -> list:
    """The rules that apply to the line, with only the highest quantity break reached."""
    found = [rule for rule in rules if matches(rule, line, buyer, products)]
    breaks = [rule for rule in found if rule.kind == QUANTITY]
    if len(breaks) > 1:
        top = max(breaks, key=lambda r: (r.min_quantity or 0, r.percent, -r.id))
        found = [rule for rule in found if rule.kind != QUANTITY or rule is top]
    return sorted(found, key=lambda r: (-r.percent, r.id))


def combined_percent(rules: list, mode: str) -> tuple[Decimal, tuple]:
    """(per cent off, the rules counted) under the company's ``mode``."""
    if not rules:
        return Decimal(0), ()
    if mode == BEST:
        return rules[0].percent, (rules[0],)
    remaining = Decimal(1)
    for rule in rules:
        remaining *= 1 - rule.percent / HUNDRED
    return (1 - remaining) * HUNDRED, tuple(rules)


def price_line(
    line: Line,
    *,
    rules: Iterable[Rule],
    buyer: Buyer,
    products: frozenset,
    mode: str,
    currency: str,
) -> Priced:
    percent, applied = combined_percent(candidates(rules, line, buyer, products), mode)
    unit_price = round_unit_price(line.base_price * (1 - percent / HUNDRED))
    return Priced(
        base_price=line.base_price,
        base_source=line.base_source,
        discount_percent=round_unit_price(percent),
        applied=applied,
        unit_price=unit_price,
        value=round_money(line.quantity * unit_price, currency),
    )


def price_lines(lines: list, *, rules: list, buyer: Buyer, mode: str, currency: str) -> list:
    """Every line of a deal priced, combinations seeing the deal's other products."""
    products = frozenset(line.product_id for line in lines)
    return [
        price_line(line, rules=rules, buyer=buyer, products=products, mode=mode, currency=currency)
        for line in lines
    ]


@dataclass(frozen=True)
class Manual:
    """A price typed by hand: its unit price and value, and how much it takes off the price
    the rules gave (negative when it is dearer)."""

    unit_price: Decimal
    value: Decimal
    discount_percent: Decimal  # off the base price, as the line shows it
    beyond_rules: Decimal  # off the rules' price: what the limit is checked against
    notes: list = field(default_factory=list)


def manual_price(
    *,
    base_price: Decimal,
    rules_price: Decimal,
    quantity: Decimal,
    currency: str,
    unit_price: Decimal | None = None,
    discount_percent: Decimal | None = None,
) -> Manual:
    """A line priced by hand, by a unit price or by a discount off the base price."""
    if unit_price is None:
        unit_price = round_unit_price(base_price * (1 - (discount_percent or 0) / HUNDRED))
    off_base = (1 - unit_price / base_price) * HUNDRED if base_price else Decimal(0)
    off_rules = (1 - unit_price / rules_price) * HUNDRED if rules_price else Decimal(0)
    return Manual(
        unit_price=unit_price,
        value=round_money(quantity * unit_price, currency),
        discount_percent=round_unit_price(off_base),
        beyond_rules=round_unit_price(off_rules),
    )


def needs_approval(manual: Manual, limit: Decimal) -> bool:
    """Whether a hand-typed price goes beyond the company's limit below the rules' price."""
    return manual.beyond_rules > limit
