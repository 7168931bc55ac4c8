"""crm.csp: the same Content-Security-Policy headers as django-csp's middleware writes, for
plain responses, views that change or drop their policy, nonces and changed settings."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from crm.csp import CSPMiddleware


def plain(request):
    return HttpResponse("ok")


def with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


def already_set(request):
    response = HttpResponse("ok")
    response[HEADER] = "default-src 'none'"
    return response


VIEWS = [
    plain,
    with_nonce,
    already_set,
    csp_exempt()(plain),
    csp_update({"img-src": ["https://maps.example"]})(plain),
    csp_replace({"script-src": ["'self'", "https://cdn.example"]})(plain),
]
REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}}


def _headers(middleware_class, view, path="/partners/"):
    request = RequestFactory().get(path)
    middleware = middleware_class(view)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    return response.headers.get(HEADER), response.headers.get(HEADER_REPORT_ONLY)


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: getattr(v, "__name__", "view"))
def test_the_same_headers_as_django_csp(view):
    for _ in range(2):  # built, then remembered
        assert _headers(CSPMiddleware, view) == _headers(DjangoCSPMiddleware, view)
    assert "default-src 'self'" in _headers(CSPMiddleware, plain)[0]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: getattr(v, "__name__", "view"))
def test_changed_settings_are_followed(view):
    before = _headers(CSPMiddleware, view)
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=REPORT_ONLY):
        during = _headers(CSPMiddleware, view)
        assert during == _headers(DjangoCSPMiddleware, view)
    assert view is already_set or during[1] is not None
    assert _headers(CSPMiddleware, view) == before


def test_excluded_prefixes_are_left_to_django_csp(settings):
    settings.CONTENT_SECURITY_POLICY = settings.CONTENT_SECURITY_POLICY | {
        "EXCLUDE_URL_PREFIXES": ["/static/"]
    }
    assert _headers(CSPMiddleware, plain, "/static/x.css") == (None, None)
    assert _headers(CSPMiddleware, plain, "/partners/")[0] is not None


def test_a_nonce_asked_after_the_headers_is_refused():
    request = RequestFactory().get("/")
    middleware = CSPMiddleware(plain)
    middleware.process_request(request)
    middleware.process_response(request, plain(request))
    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)
