from django import template

from crm.fragments import render_shell_fragment

register = template.Library()


@register.simple_tag(takes_context=True)
def shell_fragment(context, template_name: str):
    """``{% shell_fragment "inc/topbar.html" %}``: an include drawn once per user, generation,
    language, company and menu entry (``crm.fragments``)."""
    return render_shell_fragment(template_name, context)
