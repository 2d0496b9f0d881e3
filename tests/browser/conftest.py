# The shared Playwright fixtures, visible to the tests in this package only. pytest refuses
# ``pytest_plugins`` in a conftest below the rootdir (it would leak into the whole suite), so
# the fixtures are imported here instead; another package can import them the same way.
from tests.browser_fixtures import browser, page  # noqa: F401
