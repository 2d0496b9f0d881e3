"""What a PIN signature is for is a member of an app's registered purpose enum
(``<app>/events.py``, ``register_purposes``), never a bare string or a module constant at the
call: the audit admin names a purpose by its enum's label (a stray string shows as stored), and
a service only accepts a receipt signed for its own purpose, so a purpose signed by a view and
consumed by no service (or the other way round) is a flow that can never complete.

Read from the source, so a new call is checked too: every call that signs (``form.sign``,
``signature_verify``, ``signature_issue``) or consumes (``signature_consume``) a receipt, and
every helper that passes its own ``purpose`` parameter on to one of them (``signed_action``,
``beneficiaries.services._consume``), whose callers are then checked in turn."""

import ast
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from audit.registry import purposes

ROOT = Path(__file__).resolve().parents[2]
SIGNERS = {"sign", "signature_verify", "signature_issue"}
CONSUMERS = {"signature_consume"}


@dataclass
class Uses:
    bad: list[str] = field(default_factory=list)  # "file:line" of a purpose that is no member
    signed: set[str] = field(default_factory=set)  # members passed to a signing call
    consumed: set[str] = field(default_factory=set)  # members passed to a consuming call


class _PurposeCalls(ast.NodeVisitor):
    """Each call that may pass a ``purpose``, with the function it is made in (None: module)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stack: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef | None, ast.Call]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(node)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        # ``purpose=…`` named, or maybe inside a ``**mapping``.
        if any(keyword.arg in ("purpose", None) for keyword in node.keywords):
            self.found.append((self.name, self.stack[-1] if self.stack else None, node))
        self.generic_visit(node)


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _purpose(call: ast.Call) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == "purpose"), None)


def _forwarded(function, call: ast.Call) -> bool:
    """``call`` passes on ``function``'s own ``purpose`` parameter, or its own ``**kwargs``
    (a forwarding helper, whose callers then name the purpose as ``purpose=``, where they
    are checked). Any other parameter or mapping is not followed, so it does not count."""
    if function is None:
        return False
    value = _purpose(call)
    if value is None:
        kwarg = function.args.kwarg
        splats = {
            k.value.id for k in call.keywords if k.arg is None and isinstance(k.value, ast.Name)
        }
        return kwarg is not None and kwarg.arg in splats
    params = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    named = isinstance(value, ast.Name) and value.id == "purpose"
    return named and "purpose" in {param.arg for param in params}


def _reaching(calls, entry: set[str]) -> set[str]:
    """``entry`` and every function that forwards its ``purpose`` to one of them, repeatedly."""
    names = set(entry)
    grew = True
    while grew:
        grew = False
        for _, function, call in calls:
            forwarding = _called(call) in names and _forwarded(function, call)
            if forwarding and function.name not in names:
                names.add(function.name)
                grew = True
    return names


def _member(value: ast.expr, enums: dict[str, dict[str, str]]) -> str | None:
    """The stored value of ``<Enum>.<MEMBER>`` (also ``module.<Enum>.<MEMBER>``) when it names a
    member of a registered purpose enum; None for anything else."""
    if not isinstance(value, ast.Attribute):
        return None
    owner = value.value
    enum = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return enums.get(enum, {}).get(value.attr)


def purposes_used(sources: dict[str, str], enums: dict[str, dict[str, str]]) -> Uses:
    """Check every signing and consuming call in ``sources`` (file name: code) against
    ``enums`` (enum name: {member name: stored value})."""
    calls = []
    for name, source in sources.items():
        visitor = _PurposeCalls(name)
        visitor.visit(ast.parse(source, filename=name))
        calls += visitor.found
    signers, consumers = _reaching(calls, SIGNERS), _reaching(calls, CONSUMERS)
    uses = Uses()
    for name, function, call in calls:
        called = _called(call)
        if called not in signers | consumers or _forwarded(function, call):
            continue
        value = _purpose(call)
        if value is None:  # a purpose, if any, inside a mapping no walk can read
            uses.bad.append(f"{name}:{call.lineno}")
            continue
        branches = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
        members = [_member(branch, enums) for branch in branches]
        if None in members:
            uses.bad.append(f"{name}:{call.lineno}")
            continue
        (uses.signed if called in signers else uses.consumed).update(members)
    return uses


def _registered() -> dict[str, dict[str, str]]:
    enums = {enum.__name__: enum for enum in purposes.enums()}
    assert len(enums) == len(purposes.enums())  # looked up by name: no two alike
    return {name: {m.name: m.value for m in enum} for name, enum in enums.items()}


def _product_sources() -> dict[str, str]:
    files = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        name: (ROOT / name).read_text()
        for name in files
        if not name.startswith(("tests/", "bench/", "scripts/")) and "/migrations/" not in name
    }


def test_every_signing_purpose_is_a_registered_member_signed_and_consumed():
    sources = _product_sources()
    assert len(sources) > 100  # the walk read the project
    uses = purposes_used(sources, _registered())
    assert uses.bad == []
    every = {value for value, _ in purposes.choices()}
    assert len(every) == 10
    # Each purpose is both signed by a page and consumed by its service; none is one-sided.
    assert uses.signed == every
    assert uses.consumed == every


def test_the_walk_finds_a_purpose_that_is_no_registered_member():
    """The check itself finds what it is for (a check that cannot fail is no check)."""
    enums = {"TransferPurpose": {"EXECUTE": "transfer.execute", "COSIGN": "transfer.cosign"}}
    source = (
        "def view(form, ok):\n"
        # 2: a bare string; 3: no such member; 4: one branch a module constant
        '    form.sign(summary={}, purpose="transfer.execute", fingerprint="f")\n'
        "    form.sign(summary={}, purpose=TransferPurpose.NOPE, fingerprint='f')\n"
        "    form.sign(purpose=TransferPurpose.EXECUTE if ok else PAY_PURPOSE, fingerprint='f')\n"
        "    signed_action(None, form, purpose=events.TransferPurpose.EXECUTE, summary={})\n"
        "def _consume(*, purpose):\n"
        "    signature_consume(signature=None, user=None, purpose=purpose, fingerprint='f')\n"
        "def service(kind):\n"
        # 9: a bare string through the forwarding helper; 11: a parameter not followed
        '    _consume(purpose="transfer.cosign")\n'
        "    _consume(purpose=TransferPurpose.COSIGN)\n"
        "    signature_consume(signature=None, user=None, purpose=kind, fingerprint='f')\n"
        "def signed_action(request, form, *, purpose, summary):\n"
        "    return form.sign(summary=summary, purpose=purpose, fingerprint='f')\n"
        "def _signed_change(request, form, **signing):\n"
        "    return signed_action(request, form, **signing)\n"
        "def amend_view(request, form, data):\n"
        # 18: a purpose hidden in a mapping the walk cannot read
        "    _signed_change(request, form, purpose=TransferPurpose.COSIGN, summary={})\n"
        "    form.sign(**data)\n"
        # Not a signature (a registration link's salt): not checked.
        'token = make_token(purpose="email-confirm")\n'
    )
    uses = purposes_used({"m.py": source}, enums)
    assert uses.bad == ["m.py:2", "m.py:3", "m.py:4", "m.py:9", "m.py:11", "m.py:18"]
    # Through signed_action and _signed_change, forwarding helpers.
    assert uses.signed == {"transfer.execute", "transfer.cosign"}
    assert uses.consumed == {"transfer.cosign"}
