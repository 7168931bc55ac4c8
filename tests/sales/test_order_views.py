"""Order and delivery screens: who may reach each one (the access personas), the list's
constant queries, and bad input told clearly on the form, never a 500."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Delivery, DeliveryStatus, Order, OrderStatus
from sales.orders import delivery_create, order_cancel, order_from_quote
from tests.access import check_access

from .test_orders import accepted_quote

pytestmark = pytest.mark.django_db

ALLOWED = {"owner", "supervisor", "second_supervisor", "boss", "superuser"}


def make_order(owner, **kwargs):
    return order_from_quote(user=owner, quote=accepted_quote(owner, **kwargs))


def test_an_order_is_made_from_the_accepted_quotes_page_by_those_who_may_change_it(org, client):
    quote = accepted_quote(org.owner)
    client.force_login(org.owner)
    page = client.get(reverse("sales:quote", args=[quote.pk])).content.decode()
    assert 'data-testid="quote-order"' in page
    check_access(
        client,
        org,
        reverse("sales:order-create", args=[quote.pk]),
        allowed=ALLOWED,
        method="post",
        row=quote,
        denied_status=(403, 404),
    )
    order = Order.objects.get()  # the first allowed persona made it; the others were told
    assert order.quote == quote and order.owner == org.owner
    client.force_login(org.owner)
    page = client.get(reverse("sales:quote", args=[quote.pk])).content.decode()
    assert 'data-testid="quote-order"' not in page and order.number in page
    page = client.get(reverse("sales:opportunity", args=[quote.opportunity_id])).content.decode()
    assert order.number in page  # the chain links forward too
    client.force_login(org.peer)
    assert client.get(reverse("sales:order", args=[order.pk])).status_code == 404


def test_order_and_delivery_pages_are_for_those_who_see_the_order(org, client):
    order = make_order(org.owner)
    line = order.lines.first()
    check_access(client, org, reverse("sales:order", args=[order.pk]), allowed=ALLOWED)
    check_access(client, org, reverse("sales:order-edit", args=[order.pk]), allowed=ALLOWED)
    check_access(
        client,
        org,
        reverse("sales:order-edit", args=[order.pk]),
        allowed=ALLOWED,
        method="post",
        data={"title": "", "base_version": "1"},  # refused input: nothing saved by anyone
        row=order,
    )
    check_access(client, org, reverse("sales:delivery-create", args=[order.pk]), allowed=ALLOWED)
    check_access(
        client,
        org,
        reverse("sales:delivery-create", args=[order.pk]),
        allowed=ALLOWED,
        method="post",
        data={"delivered_on": "", f"line-{line.pk}": "1"},  # no day: the form says so
        row=order,
    )
    delivery = delivery_create(user=org.owner, order=order, quantities={line.pk: D(1)})
    check_access(client, org, reverse("sales:delivery", args=[delivery.pk]), allowed=ALLOWED)
    other = make_order(org.owner, lines=[("X", "10", "1")])
    check_access(
        client,
        org,
        reverse("sales:order-cancel", args=[other.pk]),
        allowed=ALLOWED,
        method="post",
        data={"version": "999"},  # a stale version: refused with a message, not cancelled
        row=other,
    )
    other.refresh_from_db()
    assert other.status == OrderStatus.OPEN


def test_cancelling_a_delivery_is_for_those_who_may_change_it(org, client):
    order = make_order(org.owner)
    line = order.lines.first()
    made = []

    def fresh():
        delivery = delivery_create(user=org.owner, order=order, quantities={line.pk: D("0.1")})
        made.append(delivery)
        return reverse("sales:delivery-cancel", args=[delivery.pk]), delivery

    check_access(client, org, fresh, allowed=ALLOWED, method="post")
    statuses = [Delivery.objects.get(pk=d.pk).status for d in made]
    assert statuses.count(DeliveryStatus.CANCELLED) == len(ALLOWED)


def test_the_order_list_is_scoped_filtered_and_costs_the_same_queries_for_1_and_50_rows(
    org, client
):
    mine = make_order(org.owner)
    client.force_login(org.peer)
    page = client.get(reverse("sales:orders")).content.decode()
    assert mine.number not in page
    client.force_login(org.outsider)
    assert client.get(reverse("sales:orders")).status_code in (403, 404)
    client.force_login(org.supervisor)
    url = reverse("sales:orders")
    assert mine.number in client.get(url).content.decode()
    assert mine.number not in client.get(url, {"status": "delivered"}).content.decode()
    assert mine.number in client.get(url, {"q": mine.partner.name[:6]}).content.decode()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    template = Order.objects.get(pk=mine.pk)
    lines = list(template.lines.all())
    for n in range(60):
        copy = Order.objects.get(pk=mine.pk)
        copy.pk = None
        copy.quote = None
        copy.number = f"RE-2026-9{n:03d}"
        copy.save()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(one)
    assert response.content.decode().count('data-testid="order-list"') == 1
    assert 'rel="next"' in response.content.decode()
    assert lines  # the copies share no lines; the list reads none


def test_bad_delivery_input_is_told_on_the_form(org, client):
    order = make_order(org.owner, lines=[("A", "10", "4")])
    line = order.lines.get()
    client.force_login(org.owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("sales:delivery-create", args=[order.pk])
    form = client.get(url).content.decode()
    assert 'value="4"' in form  # what remains is offered
    cases = {
        "-1": "cannot be negative",
        "0": "at least one line",
        "5": "4 db remains to be delivered, 5 db cannot be",
        "abc": "Type a number",
        "1 234,5": "remains to be delivered",
    }
    for typed, told in cases.items():
        response = client.post(url, {"delivered_on": "2026-12-07", f"line-{line.pk}": typed})
        assert response.status_code == 200, typed
        assert told in response.content.decode(), typed
    assert not Delivery.objects.exists()
    response = client.post(url, {"delivered_on": "2026-12-07", f"line-{line.pk}": "2,5"})
    delivery = Delivery.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{delivery.pk}/")
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTLY_DELIVERED
    page = client.get(reverse("sales:order", args=[order.pk])).content.decode()
    assert "1.5" in page  # what remains, on the order's page (English)
    assert delivery.number in page


def test_a_stale_order_edit_is_refused_and_lines_lock_after_the_first_delivery(org, client):
    order = make_order(org.owner)
    first, second = order.lines.all()
    client.force_login(org.owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("sales:order-edit", args=[order.pk])
    form = client.get(url).content.decode()
    assert f'name="line-{first.pk}"' in form
    data = {
        "title": order.title,
        "customer_reference": "PO-1",
        "base_version": str(order.version),
        f"line-{first.pk}": "3",
        f"line-{second.pk}": "3",
    }
    assert client.post(url, data).status_code == 302
    first.refresh_from_db()
    order.refresh_from_db()
    assert first.quantity == 3 and order.customer_reference == "PO-1"
    # the same form sent again carries the old version: refused, told who changed it
    response = client.post(url, data | {"customer_reference": "PO-2"})
    assert response.status_code == 200 and "while you were editing" in response.content.decode()
    order.refresh_from_db()
    assert order.customer_reference == "PO-1"
    page = client.get(reverse("sales:order", args=[order.pk])).content.decode()
    assert 'data-testid="history"' in page and "PO-1" in page  # who changed what, and when
    response = client.post(
        url, data | {"base_version": str(order.version), f"line-{first.pk}": "-1"}
    )
    assert response.status_code == 200 and "cannot be negative" in response.content.decode()
    delivery_create(user=org.owner, order=order, quantities={first.pk: D(1)})
    form = client.get(url).content.decode()
    assert f'name="line-{first.pk}"' not in form and 'data-testid="lines-locked"' in form


def test_a_delivery_form_left_open_while_another_delivered_the_line_is_refused(org, client):
    order = make_order(org.owner, lines=[("A", "10", "4"), ("B", "10", "2")])
    a, b = order.lines.all()
    client.force_login(org.owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("sales:delivery-create", args=[order.pk])
    assert f'name="line-{a.pk}"' in client.get(url).content.decode()
    delivery_create(user=org.supervisor, order=order, quantities={a.pk: D(4)})  # meanwhile
    response = client.post(
        url, {"delivered_on": "2026-12-07", f"line-{a.pk}": "4", f"line-{b.pk}": "2"}
    )
    assert response.status_code == 200
    assert "0 db remains to be delivered, 4 db cannot be" in response.content.decode()
    assert Delivery.objects.count() == 1


def test_the_order_page_costs_the_same_queries_for_3_and_60_lines(org, client):
    few = make_order(org.owner, lines=[(f"F{n}", "10", "1") for n in range(3)])
    many = make_order(org.owner, lines=[(f"M{n}", "10", "1") for n in range(60)])
    for order in (few, many):
        delivery_create(user=org.owner, order=order, quantities={order.lines.first().pk: D(1)})
    client.force_login(org.owner)
    client.get(reverse("sales:order", args=[few.pk]))  # the user's access profile, cached
    counts = []
    for order in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("sales:order", args=[order.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_partner_page_lists_its_orders_to_deliver_to_those_who_see_them(org, client):
    order = make_order(org.owner)
    url = reverse("partners:detail", args=[order.partner_id]) + "?tab=sales"
    client.force_login(org.supervisor)
    page = client.get(url).content.decode()
    assert 'data-testid="partner-orders"' in page and order.number in page
    client.force_login(org.peer)  # sees the partner? then still not the order
    response = client.get(url)
    assert order.number not in response.content.decode()
    order_cancel(user=org.owner, order=order, expected_version=order.version)
    client.force_login(org.owner)
    assert order.number not in client.get(url).content.decode()
