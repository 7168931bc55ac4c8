"""``{% generation_origin document %}``: on a document's page, where a generated document came
from (its template, when, sealed with which hash), or the template page of a template's file."""

from django import template

from documents.generator_models import DocumentTemplate, Generation

register = template.Library()


@register.inclusion_tag("documents/generator/partials/origin.html")
def generation_origin(document):
    generation = (
        Generation.objects.filter(document_id=document.pk).select_related("template").first()
    )
    as_template = None
    if generation is None:
        as_template = DocumentTemplate.objects.filter(document_id=document.pk).first()
    return {"generation": generation, "as_template": as_template}
