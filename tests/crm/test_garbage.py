"""The main pages leave no reference cycles behind (crm/garbage.py): what a request built (the
request, its template context, forms, rows, model instances) is freed when the response has
been sent, not by a later garbage collection that pauses some other request."""

import gc
import io
import sys

import pytest
from django.conf import settings
from django.test.client import ClientHandler
from django.urls import reverse

from tests.activities.test_activities import plan
from tests.partners.conftest import (
    make_contact,
    make_partner,
    org,  # noqa: F401 - the persona organisation fixture
)

# Django's query compiler builds a recursive local function for each query it compiles
# (SQLCompiler.get_select): a cycle of a function, its closure cell and a tuple; nothing of
# the page is in it.
COMPILER_CLOSURES = {"function", "cell", "tuple"}


def _get(handler, path: str, session: str) -> int:
    """One GET through the test client's handler, which closes the response as a WSGI server
    does, without the test client's own references to the request and response."""
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    return handler(environ).status_code


def _left_behind(handler, path: str, session: str) -> dict[str, int]:
    """The objects that only the garbage collector would free after one request, by type."""
    for _ in range(2):  # warm: the worker's caches hold what they keep
        assert _get(handler, path, session) == 200
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert _get(handler, path, session) == 200
        gc.collect()
        found: dict[str, int] = {}
        for thing in gc.garbage:
            name = type(thing).__qualname__
            found[name] = found.get(name, 0) + 1
        return found
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.fixture
def pages(org, client):  # noqa: F811 - the fixture imported above
    owner = org.users["owner"]
    partner = make_partner(owner)
    contact = make_contact(partner, emails=["anna@example.hu"])
    for day in range(3):
        plan(owner, partner, subject=f"Hívás {day}", contact=contact)
    client.force_login(owner)
    return partner, client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.parametrize(
    "path",
    [
        "partners:list",
        "partners:contacts",
        "overview",
        "timeline",
        "history",
        "home",
        "search",
        "activities:mine",
        "activities:calendar",
    ],
)
def test_a_page_leaves_nothing_for_the_garbage_collector(pages, path):
    partner, session = pages
    detail = reverse("partners:detail", args=[partner.pk])
    url = {
        "overview": detail,
        "timeline": f"{detail}?tab=timeline",
        "history": f"{detail}?tab=history",
        "home": reverse("home"),
        "search": reverse("search") + "?q=Alf",
    }.get(path) or reverse(path)
    handler = ClientHandler(enforce_csrf_checks=False)
    left = _left_behind(handler, url, session)
    assert set(left) <= COMPILER_CLOSURES, left


def test_a_request_is_emptied_only_once_its_response_is_closed(rf, db):
    """A streamed answer may still read the request while it is sent."""
    from django.http import HttpResponse

    from crm.garbage import ReleaseRequestMiddleware

    request = rf.get("/")
    request.marker = "kept until the response is closed"
    response = ReleaseRequestMiddleware(lambda r: HttpResponse("ok"))(request)
    assert request.marker
    response.close()
    assert vars(request) == {}
