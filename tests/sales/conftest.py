from tests.partners.conftest import org  # noqa: F401 - the persona organisation fixture
