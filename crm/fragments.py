"""The page shell's top bar rendered once per worker and reused, instead of once per page
(and the links to the style sheets and scripts once per worker, ``render_static_fragment``).

The top bar (``inc/topbar.html``: menus, companies, languages, the user's name) looked the same
on every page of a user, yet the template language spent more on it than many pages spend on
their own content. It is kept here, in the worker's memory, keyed by what it is drawn from:

- the user and the access **generation** their request was read in (``crm.access``: every
  change to a user, their companies, groups or permissions starts a new one, so a stale top bar
  is never shown);
- the language, the current company, and the menu entry the page belongs to.

What differs from request to request is drawn with placeholders and filled in on every use:
the CSRF token of the forms (per session) and the page's own address (the forms' ``next``).
Without a generation (Redis unreachable) nothing is cached and the top bar is drawn as before.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .access import request_generation
from .menu import menu

# Placeholders: letters only, so that no escaping inside the template changes them.
TOKEN = "crmFragmentCsrfTokenPlaceholder"
NEXT = "crmFragmentNextPathPlaceholder"
SIZE = 2000  # fragments per worker: a few KB each
# A drawn top bar is used for at most this long: it bounds what a write that bypasses the
# signals (and so the generation) leaves stale, as for the worker's copy of the user.
SECONDS = 60

_lock = threading.Lock()
_fragments: TTLCache[tuple, str] = TTLCache(SIZE, SECONDS)


def _key(template_name: str, request, extra) -> tuple | None:
    user = request.user
    current = request_generation(user)
    if current is None or not user.is_authenticated:
        return None
    return (
        template_name,
        user.pk,
        current,
        get_language(),
        user.current_company_id,
        menu.active_key(request.path),
        request.path == "/",
        extra,
    )


def filters_key(request, skip: tuple[str, ...] = ("after", "before")) -> tuple:
    """The ``extra`` of a list's filter form drawn as a fragment: the reference lists'
    generation (the options: industries, tags, attributes, …) and the request's query values
    but ``skip`` (the page cursors, which the form does not draw)."""
    from .reference import generation

    values = tuple(sorted((k, tuple(v)) for k, v in request.GET.lists() if k not in skip))
    return generation(), values


def render_shell_fragment(template_name: str, context, extra=None) -> str:
    """``template_name`` rendered in ``context`` (a template's, with ``request``), from the
    worker's memory when it was drawn before for the same user, generation, language, company
    and menu entry, and ``extra``: a hashable value that names whatever else the fragment is
    drawn from (a list's chosen columns, say)."""
    request = context["request"]
    key = _key(template_name, request, extra)
    html = None
    if key is not None:
        with _lock:
            html = _fragments.get(key)
    if html is None:
        with context.push(csrf_token=TOKEN, shell_next=NEXT):
            html = get_template(template_name).template.render(context)
        if key is not None:
            with _lock:
                _fragments[key] = html
    token = str(context.get("csrf_token", ""))
    return mark_safe(  # noqa: S308 - a template's output; the two values are escaped here
        html.replace(TOKEN, escape(token)).replace(NEXT, escape(request.get_full_path()))
    )


_static: dict[tuple[str, str], str] = {}


def render_static_fragment(template_name: str, context) -> str:
    """``template_name`` rendered once per worker (and script prefix): for includes that are the
    same on every page for everybody, such as the links to the style sheets and scripts, whose
    ``{% static %}`` look-ups in the manifest cost a tenth of the page shell."""
    key = (template_name, get_script_prefix())
    html = _static.get(key)
    if html is None:
        html = _static[key] = get_template(template_name).template.render(context)
    return mark_safe(html)  # noqa: S308 - a template's output


def forget_all() -> None:
    """Empties this worker's fragments (tests)."""
    with _lock:
        _fragments.clear()
        _static.clear()
