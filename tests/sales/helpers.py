"""Builders of sales test data, through the services."""

from decimal import Decimal as D

from sales.models import Opportunity, OpportunityLine, Product, Subcontractor
from sales.pipeline import stages_of
from sales.services import line_save, opportunity_create
from tests.partners.conftest import make_partner


def make_product(code="P-1", price="1000", **fields) -> Product:
    fields.setdefault("name_hu", f"Termék {code}")
    return Product.objects.create(code=code, price_huf=D(price), **fields)


def make_opportunity(owner, partner=None, name="Csarnok fűtése", **fields) -> Opportunity:
    partner = partner or make_partner(owner, name=f"Vevő {name}")
    return opportunity_create(
        user=owner, opportunity=Opportunity(name=name, partner=partner, **fields)
    )


def add_line(owner, opportunity, product, quantity="1", **kwargs) -> OpportunityLine:
    line = OpportunityLine(product=product, quantity=D(quantity))
    return line_save(user=owner, opportunity=opportunity, line=line, **kwargs)


def stage(company_id, name_en):
    return next(s for s in stages_of(company_id) if s.name_en == name_en)


def make_subcontractor(owner, company, name="Villszer Bt.", trade="villanyszerelés"):
    partner = make_partner(owner, name=name)
    return Subcontractor.objects.create(company=company, partner=partner, trade=trade)
