from django import template

from crm import links

register = template.Library()


@register.filter
def record_url(pk, url_name: str) -> str:
    """``{{ pk|record_url:"partners:detail" }}``: ``{% url "partners:detail" pk %}`` for
    patterns with one integer argument, without reversing on every row (``crm.links``)."""
    return links.record_url(url_name, pk)
