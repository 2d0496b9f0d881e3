"""``{% shared "name" %}…{% endshared %}``: a stretch of the layout rendered once and reused.

Every member page renders templates/base.html, and most of it (the menus' 21 links, the
stylesheet and script tags, the brand) is the same HTML for every member and every request: it
depends only on the language, the URLconf and the script prefix that reverse() and the static
URLs read. Rendering it each time was about 2 ms of base.html's 3 ms of CPU, on each of a
transfer's six requests (bench/request_cost.py); on two saturated cores every millisecond of
every page queues the signing step (issue 13).

The block is rendered on first use for each language, URLconf and script prefix, and the HTML
is kept in process memory, on the compiled template; the name only tells readers what it is.
What belongs to the member or the request (the greeting, CSRF tokens, the bell, messages) must
stay outside: the tag refuses, when the template is parsed, any tag but text, translations,
``{% url %}``, ``{% static %}``, ``{% for %}``/``{% if %}``/``{% with %}`` (so no
``{% include %}``, ``{% csrf_token %}``, ``{% block %}`` or custom tag), and any tag or
variable that names ``request``, ``user``, ``perms``, ``messages``, ``csrf_token`` or
``notice_bell`` (``{% if user.is_staff %}`` as much as ``{{ user.username }}``). With
``DEBUG`` nothing is kept, so a template edit shows at the next request.

Registered as the ``layout`` library in ``settings.TEMPLATES`` (progresonet is not an app).
"""

import re

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import TextNode, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode, URLNode, WithNode
from django.templatetags.i18n import GetCurrentLanguageNode, TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

PER_REQUEST = frozenset({"request", "user", "perms", "messages", "csrf_token", "notice_bell"})
# A script prefix comes from the server (SCRIPT_NAME), not the member; each stretch's store
# stays bounded whatever arrives.
RENDERED_MAX = 32
# Bumped when a setting changes (tests): an override of the templates, the languages or the
# catalogues must not meet an earlier rendering.
_generation = [0]


@receiver(setting_changed)
def _forget_rendered(**kwargs: object) -> None:
    _generation[0] += 1


class SharedNode(template.Node):
    # Not walked by get_nodes_by_type(): {% extends %} looks for {% block %}s in the whole
    # layout on every render, and a shared stretch holds none (refused when parsed).
    child_nodelists = ()

    def __init__(self, name: str, nodelist: template.NodeList) -> None:
        self.name = name
        self.nodelist = nodelist
        # Kept on the node: it lives as long as its compiled template (the cached loader's),
        # and a template reloaded or built anew starts empty.
        self.rendered: dict[tuple[int, str | None, str, str], SafeString] = {}

    def render(self, context: template.Context) -> SafeString:
        if settings.DEBUG:
            return self.nodelist.render(context)
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        key = (_generation[0], get_language(), str(urlconf), get_script_prefix())
        html = self.rendered.get(key)
        if html is None:
            html = self.nodelist.render(context)  # a SafeString: escaped as it rendered
            if len(self.rendered) >= RENDERED_MAX:
                self.rendered.clear()
            self.rendered[key] = html
        return html


# The only tags a shared stretch may hold: markup that depends on the language, the URLs and
# the static files alone. Anything else ({% include %}, {% csrf_token %}, {% block %}, custom
# tags) could carry what belongs to one member or request and is refused when parsed.
ALLOWED_NODES = (
    TextNode,
    VariableNode,
    CommentNode,
    ForNode,
    IfNode,
    WithNode,
    URLNode,
    StaticNode,
    TranslateNode,
    GetCurrentLanguageNode,
)
_PER_REQUEST_NAME = re.compile(r"\b(" + "|".join(sorted(PER_REQUEST)) + r")\b")


def _refuse_per_request(nodelist: template.NodeList) -> None:
    """Refuse, when the template is parsed, a stretch that could differ between members: any
    tag outside :data:`ALLOWED_NODES`, and any tag or variable whose text names something of
    the request (``{% if user.is_staff %}``, ``{% with u=user %}``, ``{{ perms.x }}``...)."""
    for node in _walk(nodelist):
        if not isinstance(node, ALLOWED_NODES):
            raise template.TemplateSyntaxError(
                f"{type(node).__name__} cannot be inside {{% shared %}}: only text, "
                "translations, URLs, static files and for/if/with over shared data"
            )
        text = node.token.contents if getattr(node, "token", None) else ""
        found = _PER_REQUEST_NAME.search(text)
        if found and not isinstance(node, TextNode):
            raise template.TemplateSyntaxError(
                f"{found.group()} is per request: not in {{% shared %}} ({text})"
            )


def _walk(nodelist: template.NodeList):
    for node in nodelist:
        yield node
        for attr in getattr(node, "child_nodelists", ()):
            yield from _walk(getattr(node, attr, None) or ())
        # {% if %} keeps its branches in conditions_nodelists, not in child_nodelists.
        for _condition, branch in getattr(node, "conditions_nodelists", ()):
            yield from _walk(branch)


@register.tag
def shared(parser: template.base.Parser, token: template.base.Token) -> SharedNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% shared %} takes one quoted name: {% shared "x" %}')
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    _refuse_per_request(nodelist)
    return SharedNode(bits[1][1:-1], nodelist)
