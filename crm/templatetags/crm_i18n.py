"""Django's ``i18n`` template library with a cheaper ``{% translate "constant" %}``: the
templates' ``{% load i18n %}`` loads this module (``TEMPLATES["OPTIONS"]["libraries"]`` in
crm/settings.py); every other tag and filter is Django's own.

Django's ``translate`` node makes a lazy translation object on every render and then passes it
through the variable machinery (localising, escaping checks): about 20 µs a tag on the
benchmark machine, where ``gettext`` itself costs 5, and a page has a few dozen. A tag that
translates a constant string, with no filter, context, ``noop`` or ``as``, is drawn here by
``gettext`` with the same text and safety as Django's node (a template's own strings are safe,
so their translations are too); any other form is Django's node."""

from django import template
from django.templatetags import i18n as django_i18n
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


class ConstantTranslateNode(template.Node):
    child_nodelists = ()

    def __init__(self, literal: str):
        # Percent signs are doubled in the message id, as Django's Variable does.
        self.msgid = literal.replace("%", "%%")
        if isinstance(literal, SafeData):
            self.msgid = mark_safe(self.msgid)  # noqa: S308 - the template's own text

    def render(self, context):
        value = gettext(self.msgid)
        restored = value.replace("%%", "%")
        return mark_safe(restored) if isinstance(value, SafeData) else restored  # noqa: S308


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = django_i18n.do_translate(parser, token)
    expression = node.filter_expression
    literal = getattr(expression.var, "literal", None)
    if (
        isinstance(literal, str)
        and not expression.filters
        and not node.noop
        and node.asvar is None
        and node.message_context is None
    ):
        return ConstantTranslateNode(literal)
    return node
