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
stay outside: the tag refuses, when the template is parsed, a block that holds
``{% csrf_token %}`` or ``{% block %}``, or prints ``request``, ``user``, ``perms``,
``messages``, ``csrf_token`` or ``notice_bell``. With ``DEBUG`` nothing is kept, so a template
edit shows at the next request.

Registered as the ``layout`` library in ``settings.TEMPLATES`` (progresonet is not an app).
"""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import VariableNode
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BlockNode
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


@register.tag
def shared(parser: template.base.Parser, token: template.base.Token) -> SharedNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% shared %} takes one quoted name: {% shared "x" %}')
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% block %} cannot be inside {% shared %}")
    if nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError("{% csrf_token %} is per request: not in {% shared %}")
    for node in nodelist.get_nodes_by_type(VariableNode):
        lookups = getattr(node.filter_expression.var, "lookups", None) or ()
        if lookups and lookups[0] in PER_REQUEST:
            raise template.TemplateSyntaxError(
                f"{{{{ {lookups[0]} }}}} is per request: not in {{% shared %}}"
            )
    return SharedNode(bits[1][1:-1], nodelist)
