"""The full-text search's row of a document: the text of its current version and the search
vector of title, description and text together (weights A, B, D).

The vector is kept by the database itself (migration ``0003_text_search``): a trigger on this
table computes it whenever ``body`` is written, one on the documents refreshes it when a title
or description changes (bulk updates included), and one gives every new document its row (so
a document without a file is found by its title). The text search configuration
``hungarian_unaccent`` stems Hungarian after removing accents, in the documents and in what is
typed alike: ``kotbert`` finds ``kötbérrel``.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CONFIG = "hungarian_unaccent"


class DocumentText(models.Model):
    document = models.OneToOneField(
        "documents.Document",
        verbose_name=_("document"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="fulltext",
    )
    # The version whose text ``body`` holds (None: no text read yet).
    version = models.ForeignKey(
        "documents.DocumentVersion",
        verbose_name=_("version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("text"), blank=True, default="")
    vector = SearchVectorField(null=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("document text")
        verbose_name_plural = _("document texts")
        indexes = [GinIndex(fields=["vector"], name="documents_text_vector")]

    def __str__(self) -> str:
        return f"{self.document_id}: {len(self.body)} characters"
