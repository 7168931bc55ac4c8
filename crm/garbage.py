"""Pages that leave no reference cycles behind, so that what a request built is freed by
reference counting as soon as the response is sent, not by the garbage collector later.

Django's request and template context are cycles by design: the messages storage, the HTMX
details, ``request.auser`` and the CSP nonce point back at the request; a template context
and its ``ContextDict`` layers point at each other. Everything reachable from them (the
page's rows, forms, the rendered text) then waited for a collection. With the web workers'
collector tuned to run rarely (``WEB_GC_THRESHOLD``, crm/wsgi.py), one collection freed the
garbage of about 130 list pages at once: 60-90 ms of CPU and up to 250 ms of a request's time
on the benchmark's worker, every 130 requests. Measured on the 1M-partner data, the rep's
first list page, gunicorn hooks logging each request's CPU, alternated twice: 4.19 and 4.40 ms
of a worker's CPU a request before, 3.82 and 3.74 after; the page's p95 under 8 clients fell
from 44 and 42 ms to 32 and 29. tests/crm/test_garbage.py checks that the main pages leave
nothing behind.

- ``ReleaseRequestMiddleware`` (first in ``MIDDLEWARE``) empties the request once Django has
  finished with it, after the response was sent and closed (``HttpResponse.close()``, which
  the WSGI server calls; streaming responses too).
- ``Templates`` is Django's template backend whose templates release their context once they
  are rendered (``release_context``); ``{% page_section %}`` (crm/templatetags/crm_shell.py)
  releases the context it renders a section in.
"""

from django.forms import BaseForm
from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates, reraise
from django.template.backends.django import Template as DjangoTemplate
from django.template.context import make_context


class ReleaseRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        closers = getattr(response, "_resource_closers", None)
        if closers is not None:
            # Run by response.close() before Django's own request.close(), which this calls
            # first: uploaded files are closed as before.
            closers.append(_releaser(request))
        return response


def _releaser(request):
    def release():
        request.close()
        request.__dict__.clear()

    return release


def release_context(context) -> None:
    """Breaks the cycles of a rendered template context: its layers point back at it, and a
    form's bound fields at their form (the fields are drawn again if the form is used again)."""
    for layer in context.dicts:
        for value in layer.values():
            if isinstance(value, BaseForm):
                value._bound_fields_cache.clear()
    context.dicts.clear()


class Template(DjangoTemplate):
    def render(self, context=None, request=None):
        made = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(made)
        except TemplateDoesNotExist as exc:
            reraise(exc, self.backend)
        finally:
            release_context(made)


class Templates(DjangoTemplates):
    """``django.template.backends.django.DjangoTemplates`` with ``Template`` above."""

    def from_string(self, template_code):
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name):
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)
