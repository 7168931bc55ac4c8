"""The document generator's records: templates (documents of the store, with how to draw
them), packs of templates that share values typed once, and where each generated document
came from (``Generation``: the template and its version, the record, the values typed, and
for a PDF its SHA-256, after which the document takes no new version: sealed)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Document, DocumentType, Folder


class Engine(models.TextChoices):
    DOCX = "docx", _("Word (DOCX)")
    XLSX = "xlsx", _("Excel (XLSX)")
    HTML = "html", _("HTML → PDF")


class TemplateQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Templates whose document ``user`` sees (folder grants and the rest of the store's
        rule), active ones of their current company."""
        return self.filter(active=True, document__in=Document.objects.visible_to(user).values("pk"))


class DocumentTemplate(models.Model):
    """A document of the store that documents are generated from; its current version is the
    template file."""

    document = models.OneToOneField(
        Document, verbose_name=_("template file"), on_delete=models.CASCADE, related_name="+"
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    engine = models.CharField(_("kind"), max_length=10, choices=Engine.choices)
    output_type = models.CharField(
        _("type of the generated document"),
        max_length=20,
        choices=DocumentType.choices,
        default=DocumentType.OTHER,
    )
    output_folder = models.ForeignKey(
        Folder,
        verbose_name=_("folder of the generated documents"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def output_extension(self) -> str:
        return {"docx": "docx", "xlsx": "xlsx", "html": "pdf"}[self.engine]


class PackQuerySet(models.QuerySet):
    def readable_by(self, user):
        """Active packs of the user's current company whose every template they may read."""
        from crm.scoping import current_company_id

        company_id = current_company_id(user)
        if company_id is None:
            return self.none()
        unreadable = DocumentTemplate.objects.exclude(
            pk__in=DocumentTemplate.objects.readable_by(user).values("pk")
        )
        return (
            self.filter(active=True, company_id=company_id)
            .exclude(items__template__in=unreadable)
            .filter(items__isnull=False)
            .distinct()
        )


class Pack(models.Model):
    """Documents generated together (a contract, its cover letter and handover sheet) from
    values typed once in one form (``PackField``)."""

    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    templates = models.ManyToManyField(
        DocumentTemplate, verbose_name=_("templates"), through="PackItem", related_name="packs"
    )

    objects = PackQuerySet.as_manager()

    class Meta:
        verbose_name = _("document pack")
        verbose_name_plural = _("document packs")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class PackItem(models.Model):
    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="items")
    template = models.ForeignKey(
        DocumentTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("document of the pack")
        verbose_name_plural = _("documents of the pack")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "template"], name="documents_packitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pack}: {self.template}"


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    LONG_TEXT = "long_text", _("long text")
    NUMBER = "number", _("number (1 234,50)")
    AMOUNT = "amount", _("amount in forints (1 234 567 Ft)")
    DATE = "date", _("date (2026. 11. 22.)")


class PackField(models.Model):
    """A value the pack's documents share, asked once: ``{{ shared.<key> }}`` in them."""

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(
        _("name in templates"),
        max_length=50,
        help_text=_("Letters, digits and _: the templates write {{ shared.name }}."),
    )
    label = models.CharField(_("label"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    required = models.BooleanField(_("required"), default=True)
    help_text = models.CharField(_("help"), max_length=250, blank=True)
    example = models.CharField(_("example"), max_length=150, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("shared value")
        verbose_name_plural = _("shared values")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "key"], name="documents_packfield_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Generation(models.Model):
    """Where a generated document came from. A sealed one (a PDF) takes no new version: its
    file is the one whose SHA-256 is kept here (a database trigger refuses a change too)."""

    document = models.OneToOneField(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="generation"
    )
    template = models.ForeignKey(
        DocumentTemplate,
        verbose_name=_("template"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    template_version = models.PositiveIntegerField(_("template version"))
    pack = models.ForeignKey(
        Pack, verbose_name=_("pack"), null=True, blank=True, on_delete=models.SET_NULL
    )
    batch = models.UUIDField(_("generated together"), null=True, blank=True, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record"))
    values = models.JSONField(_("values typed"), default=dict, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    sealed = models.BooleanField(_("sealed"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")

    def __str__(self) -> str:
        return f"{self.document_id} ← {self.template_id}"
