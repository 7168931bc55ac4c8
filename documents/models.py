"""The document store: folders (a tree per own company) with grants, documents with versions,
links to any record (one generic table) and the audit of what was done with them.

Access: ``Document.objects.visible_to(user)`` (``DocumentQuerySet``) is the one rule: a
document of the user's current company is visible to its owner and the owner's supervisors,
to everyone with the "see all in company" function, to users a folder grant (on its folder or
any folder above it) gives read, and to users who see a record it is linked to (through that
record's own ``visible_to``). Deleted documents (the trash) are in none of these.
"""

import uuid
from pathlib import PurePosixPath

import pghistory
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from crm.hierarchy import scope_owner_ids
from crm.scoping import SEE_ALL, AuditedModel, current_company_id

from . import linkables


class Level(models.IntegerChoices):
    """What a folder grant allows; a higher level includes the lower ones."""

    READ = 10, _("read")
    WRITE = 20, _("write")
    MANAGE = 30, _("manage")


class DocumentType(models.TextChoices):
    CONTRACT = "contract", _("contract")
    OFFER = "offer", _("offer")
    PRICE_LIST = "price_list", _("price list")
    PRODUCT_SHEET = "product_sheet", _("product sheet")
    LETTER = "letter", _("letter")
    INVOICE = "invoice", _("invoice")
    OTHER = "other", _("other")


TYPE_COLOURS = {
    DocumentType.CONTRACT: "primary",
    DocumentType.OFFER: "success",
    DocumentType.PRICE_LIST: "warning",
    DocumentType.PRODUCT_SHEET: "info",
    DocumentType.LETTER: "secondary",
    DocumentType.INVOICE: "danger",
    DocumentType.OTHER: "light",
}


class TextState(models.TextChoices):
    """Where the text extraction of a version stands (full-text search, a later step)."""

    PENDING = "pending", _("waiting")
    DONE = "done", _("read")
    FAILED = "failed", _("cannot be read")
    SKIPPED = "skipped", _("no text")


def _user_scope(user):
    """(company id, sees all, owner ids) of ``user`` for documents, or None for nobody."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    company_id = current_company_id(user)
    if company_id is None:
        return None
    return company_id


def _principal(user, prefix: str = "") -> Q:
    """A grant row to ``user`` or to one of their groups."""
    groups = user.groups.values("pk")
    return Q(**{f"{prefix}user_id": user.pk}) | Q(**{f"{prefix}group_id__in": groups})


# ----------------------------------------------------------------------------- folders


class FolderQuerySet(models.QuerySet):
    def granted(self, user, level: int):
        """The folders of ``user``'s current company where a grant of at least ``level`` (to
        the user or a group of theirs) sits on the folder itself or on a folder above it."""
        company_id = _user_scope(user)
        if company_id is None:
            return self.none()
        grants = FolderGrant.objects.filter(
            _principal(user),
            level__gte=level,
            folder__tree_id=OuterRef("tree_id"),
            folder__lft__lte=OuterRef("lft"),
            folder__rght__gte=OuterRef("rght"),
        )
        return self.filter(Exists(grants), company_id=company_id)

    def visible_to(self, user):
        """The folders ``user`` may open: granted read, or all of the company for a user who
        sees all documents (and superusers)."""
        if getattr(user, "is_superuser", False) and user.is_active:
            company_id = current_company_id(user)
            return self.filter(company_id=company_id) if company_id else self.all()
        company_id = _user_scope(user)
        if company_id is None:
            return self.none()
        if sees_all(user):
            return self.filter(company_id=company_id)
        return self.granted(user, Level.READ)

    def writable_by(self, user):
        """The folders ``user`` may file documents into (a write grant, inherited)."""
        if not user.has_perm("documents.add_document"):
            return self.none()
        if user.is_superuser or sees_all(user):
            return self.visible_to(user)
        return self.granted(user, Level.WRITE)


class Folder(MPTTModel):
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent folder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=200)
    # The sales collateral library (a later step) lists the documents of such folders.
    is_collateral = models.BooleanField(_("sales collateral"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FolderQuerySet.as_manager()

    class MPTTMeta:
        order_insertion_by = ["name"]

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "parent", "name"],
                name="documents_folder_unique_name",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.name


class FolderGrant(models.Model):
    """Read, write or manage on a folder and everything below it, for a group or a user."""

    folder = models.ForeignKey(
        Folder, verbose_name=_("folder"), on_delete=models.CASCADE, related_name="grants"
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.READ)

    class Meta:
        verbose_name = _("folder grant")
        verbose_name_plural = _("folder grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=True, user__isnull=False)
                | Q(group__isnull=False, user__isnull=True),
                name="documents_grant_group_or_user",
            ),
        ]
        indexes = [models.Index(fields=["user", "level"]), models.Index(fields=["group", "level"])]

    def __str__(self) -> str:
        return f"{self.folder} – {self.group or self.user}: {self.get_level_display()}"


# ----------------------------------------------------------------------------- documents


def sees_all(user) -> bool:
    return user.has_perm(SEE_ALL) or user.has_perm("documents.view_all_document")


class DocumentQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def _linked_visible(self, user) -> Exists:
        """A link of the document to a record that ``user`` sees through its own model's
        ``visible_to`` (one EXISTS whatever the number of linkable kinds)."""
        condition = Q(pk__in=[])
        for kind in linkables.registry.ordered():
            model = kind.model()
            content_type = ContentType.objects.get_for_model(model)
            condition |= Q(
                content_type_id=content_type.pk,
                object_id__in=model.objects.visible_to(user).values("pk"),
            )
        return Exists(DocumentLink.objects.filter(condition, document_id=OuterRef("pk")))

    def _scoped(self, user, action: str):
        alive = self.alive()
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return alive.none()
        if user.is_superuser:
            return alive
        company_id = _user_scope(user)
        if company_id is None or not user.has_perm(f"documents.{action}_document"):
            return alive.none()
        in_company = alive.filter(company_id=company_id)
        if sees_all(user):
            return in_company
        level = Level.READ if action == "view" else Level.WRITE
        folders = Folder.objects.granted(user, level).values("pk")
        condition = Q(owner_id__in=sorted(scope_owner_ids(user))) | Q(folder_id__in=folders)
        if action == "view":
            condition |= self._linked_visible(user)
        return in_company.filter(condition)

    def visible_to(self, user):
        return self._scoped(user, "view")

    def editable_by(self, user):
        """Documents ``user`` may change (new versions, check-out, metadata): their own and
        their subordinates', and those of folders where they may write."""
        return self._scoped(user, "change")

    def deletable_by(self, user):
        return self._scoped(user, "delete")

    def in_trash(self, user):
        """The deleted documents of ``user``'s company, for those who may restore them."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not (user.is_staff or user.has_perm("documents.restore_document")):
            return self.none()
        company_id = current_company_id(user)
        deleted = self.filter(deleted_at__isnull=False)
        if user.is_superuser and company_id is None:
            return deleted
        return deleted.filter(company_id=company_id) if company_id else self.none()

    def linked_to(self, record):
        content_type = ContentType.objects.get_for_model(type(record))
        return self.filter(
            Exists(
                DocumentLink.objects.filter(
                    document_id=OuterRef("pk"), content_type=content_type, object_id=record.pk
                )
            )
        )


# The change history (pghistory) of the metadata; DocumentEvent is the audit of what users did.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="DocumentHistory",
)
class Document(AuditedModel):
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=250, blank=True)
    type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, default=DocumentType.OTHER
    )
    folder = models.ForeignKey(
        Folder,
        verbose_name=_("folder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    description = models.TextField(_("description"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    current_version = models.ForeignKey(
        "DocumentVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked out by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        permissions = [
            ("view_all_document", _("Can see all documents of the company")),
            ("restore_document", _("Can restore documents from the trash")),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="documents_doc_co"),
            models.Index(fields=["company", "owner", "-id"], name="documents_doc_own"),
            models.Index(fields=["folder", "-id"], name="documents_doc_folder"),
            models.Index(
                fields=["deleted_at"],
                name="documents_doc_trash",
                condition=Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def type_colour(self) -> str:
        return TYPE_COLOURS.get(self.type, "light")

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("documents:detail", args=[self.pk])


def version_path(version, filename: str) -> str:
    """Where a version's file is stored: never the user's name (that is kept in the row), so
    nothing a user types reaches the file system."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    if not suffix[1:].isalnum():
        suffix = ""
    day = timezone.localdate()
    return f"documents/{version.document.company_id}/{day:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=version_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    mime = models.CharField(_("content type"), max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # Which version this one restored (a restore copies an old version as a new one).
    restored_from = models.ForeignKey(
        "self",
        verbose_name=_("restored from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Text extraction for the full-text search (a later step fills these in).
    text_state = models.CharField(
        _("text"), max_length=10, choices=TextState.choices, default=TextState.PENDING
    )
    text_error = models.CharField(_("why the text cannot be read"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="documents_version_unique_number"
            )
        ]
        indexes = [models.Index(fields=["sha256"], name="documents_version_sha")]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"


class DocumentLink(models.Model):
    """The one link table from documents to any record: a partner, a contact, an activity, and
    later opportunities, orders, tickets."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="links"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("document link")
        verbose_name_plural = _("document links")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "content_type", "object_id"], name="documents_link_unique"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="documents_link_rec")]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.content_type_id}:{self.object_id}"


class Action(models.TextChoices):
    UPLOAD = "upload", _("upload")
    VIEW = "view", _("view")
    DOWNLOAD = "download", _("download")
    NEW_VERSION = "new_version", _("new version")
    RESTORE = "restore", _("version restored")
    CHECK_OUT = "check_out", _("checked out")
    CHECK_IN = "check_in", _("checked in")
    DELETE = "delete", _("delete")
    UNDELETE = "undelete", _("restored from the trash")


ACTION_COLOURS = {
    Action.UPLOAD: "success",
    Action.VIEW: "light",
    Action.DOWNLOAD: "info",
    Action.NEW_VERSION: "primary",
    Action.RESTORE: "warning",
    Action.CHECK_OUT: "secondary",
    Action.CHECK_IN: "secondary",
    Action.DELETE: "danger",
    Action.UNDELETE: "warning",
}


class DocumentEvent(models.Model):
    """Who did what with a document, when and from which address. The "view audit" function
    is this model's view permission."""

    # No foreign key to the document: the audit outlives the trash being emptied.
    document_id = models.BigIntegerField(_("document"), db_index=True)
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=250)
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("document event")
        verbose_name_plural = _("document events")
        indexes = [models.Index(fields=["company", "-id"], name="documents_event_co")]

    def __str__(self) -> str:
        return f"{self.title}: {self.action}"

    @property
    def action_colour(self) -> str:
        return ACTION_COLOURS.get(self.action, "light")


# Subscriptions to folders and documents (issue 24, item 5) live in their own module.
# The document generator's models live in their own module (templates, packs, generations).
from .generator_models import DocumentTemplate, Generation, Pack, PackField, PackItem  # noqa: E402,F401,I001
from .subscriptions import Notice, Subscription  # noqa: E402, F401

# The full-text search's rows (documents.text_models): imported here so Django finds them.
from .text_models import DocumentText  # noqa: E402, F401
