"""The query builder's export pages' URLs."""

urlpatterns: list = []
