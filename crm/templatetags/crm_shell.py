from django import template

from crm.fragments import render_shell_fragment, render_static_fragment
from crm.garbage import release_context

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


@register.simple_tag(takes_context=True)
def page_section(context, section):
    """``{% page_section section %}``, ``section`` a (template name, values) pair: the text of
    ``render_to_string(name, values, request)`` (a partner page's tab, a contact page's
    section: crm.sections), drawn inside the page's own context, so that the context
    processors run once a page instead of once more a section. The section sees what it would
    see alone: its values and the processors' (which win, as in a context of its own), not the
    page view's."""
    name, values = section
    alone = context.new(values)
    index = getattr(context, "_processors_index", None)  # a RequestContext's processors
    if index is not None:
        alone.update(context.dicts[index])
    try:
        return context.template.engine.get_template(name).render(alone)
    finally:
        release_context(alone)
