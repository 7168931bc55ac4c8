"""Two of the template language's builtins, drawn more cheaply with the same text, loaded
into every template after Django's own (``TEMPLATES`` in crm/settings.py):

- the ``date`` filter, by ``crm.dates`` (a tenth of the cost): Django's filter still draws
  anything but a date or datetime and formats with names or escapes;
- the ``url`` tag, by ``crm.links.int_args_url`` when its arguments are integers (a record's
  id): ``reverse()`` costs about 90 µs on the benchmark machine, twice on a partner page.
  Keyword arguments, ``as``, other arguments and namespaced current apps take Django's node.
"""

import datetime

from django import template
from django.template import defaultfilters, defaulttags
from django.utils.formats import get_format
from django.utils.html import conditional_escape

from crm.dates import formatter
from crm.links import int_args_url

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, arg)
    try:
        return formatter(get_format(arg or "DATE_FORMAT"))(value)
    except AttributeError:  # a time format for a date: Django's filter says what it says
        return defaultfilters.date(value, arg)


class IntArgsURLNode(defaulttags.URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        url = None
        if (
            isinstance(view_name, str)
            and all(type(arg) is int and arg >= 0 for arg in args)  # ids, never yes/no
            and getattr(request, "current_app", None) is None
        ):
            url = int_args_url(view_name, args)
        if url is None:
            return super().render(context)
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    if node.kwargs or node.asvar:
        return node
    return IntArgsURLNode(node.view_name, node.args, node.kwargs, node.asvar)
