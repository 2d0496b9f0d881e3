from tests.browser_fixtures import browser_page  # noqa: F401 - fixture for the browser tests
