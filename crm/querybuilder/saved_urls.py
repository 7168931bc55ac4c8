"""The query builder's saved pages' URLs."""

urlpatterns: list = []
