from django import template

from crm.fragments import render_shell_fragment, render_static_fragment

register = template.Library()


@register.simple_tag(takes_context=True)
def shell_fragment(context, template_name: str, extra=None):
    """``{% shell_fragment "inc/topbar.html" %}``: an include drawn once per user, generation,
    language, company and menu entry (``crm.fragments``), and ``extra`` when given: a hashable
    value naming what else the include is drawn from."""
    return render_shell_fragment(template_name, context, extra)


@register.simple_tag(takes_context=True)
def static_fragment(context, template_name: str):
    """``{% static_fragment "inc/assets.html" %}``: an include that is the same for every page
    and user, drawn once per worker (``crm.fragments``)."""
    return render_static_fragment(template_name, context)
