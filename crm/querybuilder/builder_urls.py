"""The query builder's builder pages' URLs."""

urlpatterns: list = []
