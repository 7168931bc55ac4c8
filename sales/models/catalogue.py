"""The product catalogue, price lists and discount rules.

The catalogue (categories, products) is shared by the own companies, as the partner master is;
what a company charges (price lists, discount rules, its pricing setting) and what it sells
(opportunities, their stages and subcontractors) belong to one own company.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.scoping import AuditedModel
from partners.models import HUNGARIAN, bilingual

MONEY = {"max_digits": 16, "decimal_places": 2}


class Currency(models.TextChoices):
    HUF = "HUF", "HUF"
    EUR = "EUR", "EUR"


class Unit(models.TextChoices):
    PIECE = "db", _("piece (db)")
    HOUR = "óra", _("hour (óra)")
    DAY = "nap", _("day (nap)")
    KG = "kg", "kg"
    METRE = "m", "m"
    SQUARE_METRE = "m2", "m²"
    CUBIC_METRE = "m3", "m³"
    LITRE = "l", _("litre (l)")
    PACKAGE = "csomag", _("package (csomag)")
    OCCASION = "alkalom", _("occasion (alkalom)")
    MONTH = "hónap", _("month (hónap)")


class VatRate(models.TextChoices):
    """The Hungarian VAT cases a line may carry: the three rates, 0 %, and the cases without
    VAT that an invoice must name (exempt by subject or by law, reverse charge, EU supply)."""

    R27 = "27", "27 %"
    R18 = "18", "18 %"
    R5 = "5", "5 %"
    R0 = "0", "0 %"
    EXEMPT = "TAM", _("exempt (TAM)")
    SUBJECT_EXEMPT = "AAM", _("subjectively exempt (AAM)")
    REVERSE_CHARGE = "FAD", _("reverse charge (FAD)")
    EU_SUPPLY = "EUFAD", _("intra-community supply (EU)")


def vat_percent(rate: str) -> Decimal:
    """The percentage charged: the rate's number, 0 for the cases without VAT."""
    return Decimal(rate) if rate.isdigit() else Decimal(0)


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


class ProductCategory(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_hu = models.CharField(_("name (Hungarian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name_hu"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self) -> str:
        return bilingual(self.name_hu, self.name_en)


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Product(AuditedModel):
    """A product or service of the catalogue with its list prices (HUF always, EUR if sold
    in euros)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_hu = models.CharField(_("name (Hungarian)"), max_length=200, db_collation=HUNGARIAN)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ProductKind.choices, default=ProductKind.PRODUCT
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    vat_rate = models.CharField(
        _("VAT"), max_length=5, choices=VatRate.choices, default=VatRate.R27
    )
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    price_huf = models.DecimalField(
        _("list price (HUF)"), validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    price_eur = models.DecimalField(
        _("list price (EUR)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        **MONEY,
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive products cannot be offered any more.")
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [("import_product", _("Import products"))]
        indexes = [models.Index(fields=["name_hu", "id"], name="sales_product_name")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return bilingual(self.name_hu, self.name_en)

    def list_price(self, currency: str) -> Decimal | None:
        return self.price_eur if currency == Currency.EUR else self.price_huf


# ----------------------------------------------------------------------------- price lists


class PriceListQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            active=True,
        )


class PriceList(AuditedModel):
    """Prices of one own company for a partner, a partner group (tag) or everybody, in one
    currency, valid between two days. The most specific list wins: a partner's own, then its
    group's, then the general one (``sales.pricing``)."""

    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.HUF
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    tag = models.ForeignKey(
        "partners.Tag",
        verbose_name=_("partner group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = PriceListQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | Q(tag__isnull=True),
                name="sales_pricelist_partner_or_group",
                violation_error_message=_(
                    "A price list is for a partner or for a group, not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="sales_pricelist_dates",
                violation_error_message=_("The end of validity cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audience(self) -> str:
        if self.partner_id:
            return str(self.partner)
        if self.tag_id:
            return str(self.tag)
        return str(_("everybody"))


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    price = models.DecimalField(
        _("unit price"), validators=[MinValueValidator(Decimal(0))], **MONEY
    )

    class Meta:
        ordering = ["product__code"]
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"], name="sales_pricelistitem_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.price}"


# ----------------------------------------------------------------------------- discounts


class DiscountMode(models.TextChoices):
    STACK = "stack", _("Rules stack (each applies on the price the previous left)")
    BEST = "best", _("The best rule wins")


class SalesSettings(models.Model):
    """An own company's pricing switches, edited in the admin."""

    company = models.OneToOneField(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    discount_mode = models.CharField(
        _("discount rules"), max_length=5, choices=DiscountMode.choices, default=DiscountMode.BEST
    )
    manual_discount_limit = models.DecimalField(
        _("manual discount limit (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_(
            "A price or discount typed by hand that takes more than this off the computed "
            "price needs the 'Give discounts beyond the limit' function and a reason."
        ),
    )

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")

    def __str__(self) -> str:
        return str(self.company)

    @classmethod
    def of(cls, company_id: int) -> "SalesSettings":
        found = cls.objects.filter(company_id=company_id).first()
        return found or cls(company_id=company_id)


class RuleKind(models.TextChoices):
    QUANTITY = "quantity", _("Quantity break")
    PARTNER = "partner", _("Partner or partner group")
    CATEGORY = "category", _("Product category")
    COMBINATION = "combination", _("Bought together")


class DiscountRuleQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            active=True,
        )


class DiscountRule(AuditedModel):
    """A percentage off a line when its conditions hold: every condition given must hold
    (a product or a category, a partner or a partner group, a least quantity, another
    product on the same opportunity). ``kind`` says which conditions it needs."""

    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("product category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    tag = models.ForeignKey(
        "partners.Tag",
        verbose_name=_("partner group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    min_quantity = models.DecimalField(
        _("from quantity"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    with_product = models.ForeignKey(
        Product,
        verbose_name=_("when bought with"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = DiscountRuleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        permissions = [("give_large_discount", _("Give discounts beyond the limit"))]
        verbose_name = _("discount rule")
        verbose_name_plural = _("discount rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="sales_discountrule_dates",
                violation_error_message=_("The end of validity cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent.normalize():f} %)"

    def conditions(self) -> list[str]:
        """The rule's conditions as a line of the discount page says them."""
        from django.utils.formats import number_format

        parts = []
        if self.product_id:
            parts.append(str(self.product))
        if self.category_id:
            parts.append(str(self.category))
        if self.min_quantity is not None:
            quantity = number_format(self.min_quantity.normalize(), force_grouping=True)
            parts.append(_("from %(q)s") % {"q": quantity})
        if self.partner_id:
            parts.append(str(self.partner))
        if self.tag_id:
            parts.append(str(self.tag))
        if self.with_product_id:
            parts.append(_("with %(p)s") % {"p": self.with_product.name})
        return parts

    def clean(self):
        needs = {
            RuleKind.QUANTITY: (
                self.min_quantity is not None and bool(self.product_id or self.category_id),
                _("A quantity break needs a quantity and a product or a category."),
            ),
            RuleKind.PARTNER: (
                bool(self.partner_id or self.tag_id),
                _("A partner discount needs a partner or a partner group."),
            ),
            RuleKind.CATEGORY: (
                bool(self.category_id),
                _("A category discount needs a product category."),
            ),
            RuleKind.COMBINATION: (
                bool(self.product_id or self.category_id) and bool(self.with_product_id),
                _("A combination needs the product discounted and the product bought with it."),
            ),
        }
        ok, message = needs.get(self.kind, (True, ""))
        if not ok:
            raise ValidationError(message)
        if self.partner_id and self.tag_id:
            raise ValidationError(_("Name a partner or a partner group, not both."))
