"""Django's ``i18n`` template library, which ``{% load i18n %}`` loads in this project
(``TEMPLATES`` ``libraries`` in crm/settings.py), with one change: a
``{% translate "constant text" %}`` keeps its text per language once drawn, instead of building
a lazy translation, resolving it and rendering it on every page (about 11 µs a tag on the
benchmark machine; a partner page has twenty). Every other form of the tag (a variable,
filters, a ``context``) and every other tag and filter of the library are Django's own.

The kept texts are dropped whenever a setting that changes translations does (tests switch
``LANGUAGES`` or ``LOCALE_PATHS``), as Django drops its loaded catalogues then.
"""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import render_value_in_context
from django.templatetags import i18n as django_i18n
from django.utils import translation
from django.utils.safestring import SafeData, mark_safe

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# Part of every kept text's key: a new value forgets them all.
_epoch = 0


@receiver(setting_changed)
def _forget_texts(*, setting, **kwargs):
    global _epoch
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}:
        _epoch += 1


class ConstantTranslateNode(django_i18n.TranslateNode):
    """``{% translate "text" %}`` and ``{% translate "text" as name %}``, kept per language:
    what Django's node draws for a string literal depends on nothing else (the literal is
    marked safe, and so is its translation: autoescaping leaves it alone)."""

    def __init__(self, node: django_i18n.TranslateNode):
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.filter_expression.var.translate = not self.noop
        self.texts: dict[tuple, str] = {}

    def render(self, context):
        key = (_epoch, translation.get_language())
        value = self.texts.get(key)
        if value is None:
            # Django's TranslateNode.render, without the asvar part
            value = render_value_in_context(self.filter_expression.resolve(context), context)
            is_safe = isinstance(value, SafeData)
            value = value.replace("%%", "%")
            # the same marking as Django's node: safe stays safe after the replace
            value = self.texts[key] = mark_safe(value) if is_safe else value  # noqa: S308
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = django_i18n.do_translate(parser, token)
    expression = node.filter_expression
    if (
        node.message_context is None
        and not expression.filters
        and isinstance(expression.var, template.Variable)
        and expression.var.literal is not None
    ):
        return ConstantTranslateNode(node)
    return node
