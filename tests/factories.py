import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Teszt"
    last_name = factory.Sequence(lambda n: f"Elek{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.hu")
    password = factory.PostGenerationMethodCall("set_password", "jelszo-Teszt-2026")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MemoFactory(factory.django.DjangoModelFactory):
    """The sample scoped record of tests/scoping_app."""

    class Meta:
        model = "scoping_app.Memo"

    title = factory.Sequence(lambda n: f"Feljegyzés {n}")
    body = "Tárgyalás a beszállítóval."
    company = factory.LazyAttribute(lambda m: m.owner.current_company)
    created_by = factory.SelfAttribute("owner")
