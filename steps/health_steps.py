# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for operating the server: its plain-HTTP health check."""

import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to

from wsharness import settings


@when("a monitor asks the server whether it is healthy")
def step_monitor_asks_health(context: Context) -> None:
    """GET /healthz over plain HTTP on the WebSocket port, as a load balancer would."""
    parts = urlsplit(context.server.url)
    scheme = "https" if parts.scheme == "wss" else "http"
    url = urlunsplit((scheme, parts.netloc, "/healthz", "", ""))
    try:
        tls = context.connection_options.tls_context() if scheme == "https" else None
        with urllib.request.urlopen(url, timeout=settings.timing().wait, context=tls) as response:
            context.health = (response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        context.health = (error.code, error.read().decode())
    except OSError as error:
        raise AssertionError(f"the health check at {url} failed: {error}") from None


@then("the server answers that it is healthy")
def step_server_is_healthy(context: Context) -> None:
    """The health check answered 200."""
    status, body = context.health
    assert_that(status, equal_to(200), f"the health check's HTTP status (body: {body!r})")
