"""django-csp's middleware with the policy headers built once per worker.

django-csp builds both headers (the policy and the report-only one) from the settings on every
response: 0.12 ms of a signed-in page's floor of about 1.7 ms on the benchmark machine. Here a
response that nothing made special gets the headers built the first time (again after the
settings change); a nonce, a view's ``csp_update``/``csp_replace``/``csp_exempt``, excluded URL
prefixes or Django's debug error pages take django-csp's own way, so the headers are always
those django-csp would write (tests/crm/test_csp.py compares them).
"""

import http

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings

# What a view or its decorators set on a response to change its policy.
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_SETTINGS = {False: "CONTENT_SECURITY_POLICY", True: "CONTENT_SECURITY_POLICY_REPORT_ONLY"}
_EXEMPT = {False: "_csp_exempt", True: "_csp_exempt_ro"}
_HEADERS = {False: HEADER, True: HEADER_REPORT_ONLY}
_built: dict[bool, tuple[object, str | None]] = {}


def _policy(report_only: bool) -> str | None:
    """The header's value from the settings as they are, "" for none, None when URL prefixes
    are excluded (django-csp decides by the request's path)."""
    setting = getattr(settings, _SETTINGS[report_only], None)
    known = _built.get(report_only)
    if known is not None and known[0] is setting:
        return known[1]
    value = build_policy(report_only=report_only)
    if (setting or {}).get("EXCLUDE_URL_PREFIXES"):
        value = None
    _built[report_only] = (setting, value)
    return value


class CSPMiddleware(BaseCSPMiddleware):
    def process_response(self, request, response):
        policies = {report_only: _policy(report_only) for report_only in (False, True)}
        if (
            None in policies.values()
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or (
                settings.DEBUG
                and response.status_code
                in (http.HTTPStatus.INTERNAL_SERVER_ERROR, http.HTTPStatus.NOT_FOUND)
            )
        ):
            return super().process_response(request, response)
        for report_only, value in policies.items():
            header = _HEADERS[report_only]
            exempt = getattr(response, _EXEMPT[report_only], False) is not False
            if value and header not in response and not exempt:
                response[header] = value
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
