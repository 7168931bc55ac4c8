"""The template language's ``date`` filter, drawn by ``crm.dates`` (a tenth of the cost):
loaded into every template as a builtin (``TEMPLATES`` in crm/settings.py), so ``{{ value|date:
"SHORT_DATE_FORMAT" }}`` everywhere gives the same text as Django's filter, which it falls back
to for anything but a date or datetime and for formats with names or escapes."""

import datetime

from django import template
from django.template import defaultfilters
from django.utils.formats import get_format

from crm.dates import formatter

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, arg)
    try:
        return formatter(get_format(arg or "DATE_FORMAT"))(value)
    except AttributeError:  # a time format for a date: Django's filter says what it says
        return defaultfilters.date(value, arg)
