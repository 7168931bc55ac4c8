"""Orders from accepted quotes (lines carried over, the opportunity won, a constant number of
queries), edited while nothing is delivered, and their statuses as deliveries come and go."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from crm.versioning import Conflict
from sales.models import Order, OrderLine, OrderStatus
from sales.orders import (
    delivery_cancel,
    delivery_create,
    order_cancel,
    order_from_quote,
    order_update,
)
from sales.quotes import quote_from_opportunity, quote_set_status

from .helpers import add_line, make_opportunity, make_product

pytestmark = pytest.mark.django_db


def accepted_quote(owner, lines=(("H", "100000", "2"), ("S", "1000.50", "3")), opportunity=None):
    opp = opportunity or make_opportunity(owner)
    for code, price, quantity in lines:
        add_line(owner, opp, make_product(code, price=price), quantity=quantity)
    quote = quote_from_opportunity(user=owner, opportunity=opp)
    quote_set_status(user=owner, quote=quote, status="sent")
    quote_set_status(user=owner, quote=quote, status="accepted")
    return quote


def test_an_order_carries_the_accepted_quotes_lines_over_and_wins_the_opportunity(org):
    quote = accepted_quote(org.owner)
    order = order_from_quote(user=org.owner, quote=quote)
    assert order.number.startswith("RE-") and order.status == OrderStatus.OPEN
    assert (order.quote, order.opportunity_id, order.partner_id) == (
        quote,
        quote.opportunity_id,
        quote.partner_id,
    )
    assert [
        (line.name, line.quantity, line.value, line.quantity_delivered)
        for line in order.lines.all()
    ] == [
        ("Termék H", D(2), D(200000), D(0)),
        ("Termék S", D(3), D(3002), D(0)),
    ]
    assert (order.net_total, order.gross_total) == (quote.net_total, quote.gross_total)
    opp = quote.opportunity
    opp.refresh_from_db()
    assert opp.status == "won" and opp.stage.name_en == "Won"
    assert order.number in opp.stage_changes.order_by("-pk").first().automated


def test_only_an_accepted_quote_makes_an_order_and_only_once(org):
    opp = make_opportunity(org.owner)
    add_line(org.owner, opp, make_product())
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    with pytest.raises(ValidationError) as error:
        order_from_quote(user=org.owner, quote=quote)
    assert "elfogadott árajánlat" in str(error.value)  # Hungarian first
    quote_set_status(user=org.owner, quote=quote, status="sent")
    quote_set_status(user=org.owner, quote=quote, status="accepted")
    first = order_from_quote(user=org.owner, quote=quote)
    with pytest.raises(ValidationError) as error:
        order_from_quote(user=org.owner, quote=quote)
    assert first.number in str(error.value)
    with pytest.raises(PermissionDenied):
        order_from_quote(user=org.peer, quote=quote)
    assert Order.objects.count() == 1
    # the database refuses a second live order of the quote even past the service
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            company=first.company,
            owner=first.owner,
            number="X",
            quote=quote,
            partner=first.partner,
            title="x",
        )


def _queries_to_order(owner, lines: int) -> int:
    products = [make_product(f"P{lines}-{n}", price="10") for n in range(lines)]
    opp = make_opportunity(owner, name=f"Tétel {lines}")
    for product in products:
        add_line(owner, opp, product, quantity="1")
    quote = quote_from_opportunity(user=owner, opportunity=opp)
    quote_set_status(user=owner, quote=quote, status="sent")
    quote_set_status(user=owner, quote=quote, status="accepted")
    with CaptureQueriesContext(connection) as queries:
        order = order_from_quote(user=owner, quote=quote)
    assert order.lines.count() == lines
    return len(queries)


def test_making_an_order_costs_the_same_queries_for_3_and_200_lines(org, django_assert_num_queries):
    _queries_to_order(org.owner, 1)  # the year's first order also makes its counter row
    few = _queries_to_order(org.owner, 3)
    products = [make_product(f"Q{n}", price="10") for n in range(200)]
    opp = make_opportunity(org.owner, name="Nagy")
    for product in products:
        add_line(org.owner, opp, product, quantity="2")
    quote = quote_from_opportunity(user=org.owner, opportunity=opp)
    quote_set_status(user=org.owner, quote=quote, status="sent")
    quote_set_status(user=org.owner, quote=quote, status="accepted")
    with django_assert_num_queries(few):
        order = order_from_quote(user=org.owner, quote=quote)
    assert order.lines.count() == 200 and order.net_total == D(4000)


def test_deliveries_in_parts_move_the_status_and_refuse_more_than_ordered(org):
    order = order_from_quote(user=org.owner, quote=accepted_quote(org.owner))
    h, s = order.lines.all()
    first = delivery_create(user=org.owner, order=order, quantities={h.pk: D(1), s.pk: D(0)})
    assert first.number.startswith("SZL-")
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTLY_DELIVERED
    with pytest.raises(ValidationError) as error:
        delivery_create(user=org.owner, order=order, quantities={h.pk: D(2)})
    assert "Termék H: még 1 db szállítható, 2 db nem." in error.value.messages
    with pytest.raises(ValidationError):
        delivery_create(user=org.owner, order=order, quantities={h.pk: D(-1)})
    with pytest.raises(ValidationError):
        delivery_create(user=org.owner, order=order, quantities={h.pk: D(0)})
    delivery_create(user=org.owner, order=order, quantities={h.pk: D(1), s.pk: D(3)})
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert [line.quantity_delivered for line in order.lines.all()] == [D(2), D(3)]
    opportunity_lines = order.opportunity.lines.order_by("position")
    assert [line.quantity_fulfilled for line in opportunity_lines] == [D(2), D(3)]
    delivery_cancel(user=org.owner, delivery=first, reason="Rossz tétel")
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTLY_DELIVERED
    assert [line.quantity_delivered for line in order.lines.all()] == [D(1), D(3)]
    with pytest.raises(ValidationError):
        delivery_cancel(user=org.owner, delivery=first)


def test_the_database_keeps_delivered_within_ordered(org):
    order = order_from_quote(user=org.owner, quote=accepted_quote(org.owner))
    line = order.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(quantity_delivered=line.quantity + 1)


def test_lines_are_editable_until_something_is_delivered_and_stale_edits_are_refused(org):
    order = order_from_quote(user=org.owner, quote=accepted_quote(org.owner))
    h, s = order.lines.all()
    version = order.version
    order.customer_reference = "PO-77"
    order_update(
        user=org.owner, order=order, expected_version=version, quantities={h.pk: D(5), s.pk: D(0)}
    )
    order.refresh_from_db()
    assert [(line.name, line.quantity, line.value) for line in order.lines.all()] == [
        ("Termék H", D(5), D(500000))
    ]
    assert order.net_total == D(500000) and order.customer_reference == "PO-77"
    stale = Order.objects.get(pk=order.pk)
    with pytest.raises(ValidationError):
        order_update(
            user=org.owner, order=order, expected_version=order.version, quantities={h.pk: D(-2)}
        )
    with pytest.raises(ValidationError):
        order_update(
            user=org.owner, order=order, expected_version=order.version, quantities={h.pk: D(0)}
        )
    delivery_create(user=org.owner, order=order, quantities={h.pk: D(1)})
    stale.notes = "régi űrlap"
    with pytest.raises(Conflict):
        order_update(user=org.owner, order=stale, expected_version=stale.version)
    order.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        order_update(
            user=org.owner, order=order, expected_version=order.version, quantities={h.pk: D(9)}
        )
    assert "ki van szállítva" in str(error.value)
    with pytest.raises(ValidationError):
        order_cancel(user=org.owner, order=order, expected_version=order.version)
    with pytest.raises(PermissionDenied):
        order_update(user=org.peer, order=order, expected_version=order.version)


def test_an_undelivered_order_can_be_cancelled_and_then_another_made_of_its_quote(org):
    quote = accepted_quote(org.owner)
    order = order_from_quote(user=org.owner, quote=quote)
    order_cancel(user=org.owner, order=order, expected_version=order.version)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    with pytest.raises(ValidationError):
        delivery_create(user=org.owner, order=order, quantities={order.lines.first().pk: D(1)})
    again = order_from_quote(user=org.owner, quote=quote)
    assert again.number != order.number


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_cannot_deliver_more_than_was_ordered():
    """Two users deliver the whole remaining quantity at the same moment, each on their own
    connection: exactly one succeeds, the other is told what remains."""
    import threading

    from django.db import connection as conn

    from crm.groups import ensure_default_groups
    from tests.access import build_org

    ensure_default_groups()
    org = build_org()
    order = order_from_quote(
        user=org.owner, quote=accepted_quote(org.owner, lines=[("A", "10", "4")])
    )
    line = order.lines.get()
    start = threading.Barrier(2)
    done, refused, errors = [], [], []

    def worker():
        try:
            start.wait()
            delivery_create(user=org.owner, order=order, quantities={line.pk: D(3)})
            done.append(1)
        except ValidationError as error:
            refused.extend(error.messages)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(done) == 1
    assert refused == ["Termék A: még 1 db szállítható, 3 db nem."]
    line.refresh_from_db()
    assert line.quantity_delivered == D(3)


def test_a_later_part_of_the_chain_can_keep_a_delivery_from_being_cancelled(org):
    from sales.orders import CANCEL_GUARDS

    order = order_from_quote(user=org.owner, quote=accepted_quote(org.owner))
    line = order.lines.first()
    delivery = delivery_create(user=org.owner, order=order, quantities={line.pk: D(1)})

    def invoiced(record):
        return "Számlázva: SZ-2026-0001" if record.pk == delivery.pk else ""

    CANCEL_GUARDS.append(invoiced)
    try:
        with pytest.raises(ValidationError) as error:
            delivery_cancel(user=org.owner, delivery=delivery)
    finally:
        CANCEL_GUARDS.remove(invoiced)
    assert error.value.messages == ["Számlázva: SZ-2026-0001"]
    line.refresh_from_db()
    assert line.quantity_delivered == D(1)
