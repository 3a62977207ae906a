import pytest
from django.utils import translation

from tests.factories import World, world_build


@pytest.fixture(autouse=True, scope="session")
def _queue_runs_jobs_at_once():
    """Huey in immediate mode: a queued job runs in the test itself (in-memory storage)."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture(autouse=True)
def _carenet_home(tmp_path_factory, settings):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A request in English leaves English active in this thread; start each test in Chinese.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def world(db) -> World:
    return world_build()
