"""Children's tables are read only in selectors, services and jobs.

``Child``, ``FamilyMember``, ``CareRecord`` and ``Pairing`` hold the children's files and
the work done for them. Reading them anywhere else (a view, a form, a template tag, a
document builder) is how a page ends up showing children nobody scoped: so a query on
them (``X.objects…``, ``X._default_manager``, ``X.objects.raw``) is allowed only in

- modules named ``selectors.py`` (or ``*_selectors.py``), ``services.py`` and ``tasks.py``
  (the queue's jobs), and the access table itself (``carenet/children/access.py``);
- migrations;
- ``ALLOWED_PACKAGES`` below: packages that are services through and through.

``X.objects.none()`` reads no row and is allowed anywhere (a form field's queryset before
the form sets it).

And nobody but the access table (``operator_scope``) reads *every* child
(``Child.objects.all()``): a selector takes the scope it reads, never optional (no
``children=None`` that would mean every child).

``scope_offences`` is a function of source text, so the test shows it catches a view
querying ``Child.objects.filter`` as well as that the real tree has no offence.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "carenet"

GUARDED = frozenset({"Child", "FamilyMember", "CareRecord", "Pairing"})
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
ALLOWED_NAMES = frozenset({"selectors.py", "services.py", "tasks.py"})
ALLOWED_MODULES = frozenset(
    {
        # The access table: the scopes, the mentors' pairings.
        "carenet/children/access.py",
        # Services named by their subject: a child's path (the transfer and the dropout
        # lock the file and move it in one transaction) and the county's schools (a merge
        # moves the children of the merged school).
        "carenet/children/transfers.py",
        "carenet/children/dropout.py",
        "carenet/schoolyear/schools.py",
        # A job: the retention schedule (archive, anonymise, purge; ``manage.py retention``).
        "carenet/ops/retention.py",
    }
)
# Packages that are services through and through (kept short: each says why).
ALLOWED_PACKAGES = (
    # The register importer: matches and writes child files row by row (a service split
    # into modules; it reads through the user's scope where a user imports).
    "carenet/exchange/importer/",
    # The demo county builder: creates and ages a whole county's files (a service).
    "carenet/demo/",
)
# Where every child may be read: the operator's scope is built here and nowhere else.
EVERY_CHILD_MODULES = frozenset({"carenet/children/access.py"})

# Offenders not moved yet: each a TODO, the list only shrinks.
PENDING: frozenset[str] = frozenset(
    {
        # TODO: the work summary's counts (records, family, pairings per kind) into
        # reports/selectors.py (left while issue 16's consistency work edits the module).
        "carenet/reports/summary.py",
        # TODO: the guardians' aggregates of ``counts_by_school`` into
        # dashboards/selectors.py (a cycle: selectors import the kept chart counts).
        "carenet/dashboards/counts.py",
    }
)


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    model: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} on {self.model}"


def allowed(path: str) -> bool:
    """Whether a module (a path relative to the repository) may query the guarded
    models."""
    name = path.rsplit("/", 1)[-1]
    return (
        name in ALLOWED_NAMES
        or name.endswith("_selectors.py")
        or path in ALLOWED_MODULES
        or "/migrations/" in path
        or path.startswith(ALLOWED_PACKAGES)
    )


def _manager_use(node: ast.AST) -> tuple[str, str] | None:
    """(model, manager) when ``node`` is ``Model.<manager>`` of a guarded model."""
    if (
        isinstance(node, ast.Attribute)
        and node.attr in MANAGERS
        and isinstance(node.value, ast.Name)
        and node.value.id in GUARDED
    ):
        return node.value.id, node.attr
    return None


def scope_offences(source: str, path: str) -> list[Offence]:
    """The queries on the guarded models that ``source`` (the module at ``path``, relative
    to the repository) makes where it may not, and every read of all children outside
    the access table."""
    tree = ast.parse(source, filename=path)
    found: list[Offence] = []
    may_query = allowed(path)
    # ``X.objects.none()`` reads no row (a form field's empty queryset until it is set).
    empty = {
        id(node.func.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "none"
        and not node.args
    }
    for node in ast.walk(tree):
        use = _manager_use(node)
        if isinstance(node, ast.Attribute) and use and not may_query and id(node) not in empty:
            found.append(Offence(path, node.lineno, use[0], f"query through {use[1]}"))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "all"
            and (inner := _manager_use(node.func.value)) is not None
            and inner[0] == "Child"
            and path not in EVERY_CHILD_MODULES
        ):
            found.append(Offence(path, node.lineno, "Child", "every child (use a scope)"))
    return found


def optional_scopes(source: str, path: str) -> list[Offence]:
    """Functions whose ``children`` scope (a queryset of children, or None by default)
    may be left out: forgetting it would read every child. (A ``children`` that counts
    or lists org-tree nodes is not a scope.)"""
    found: list[Offence] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        positional = args.posonlyargs + args.args
        pairs = list(zip(positional[::-1], args.defaults[::-1], strict=False))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
        for arg, default in pairs:
            if arg.arg != "children":
                continue
            annotation = ast.unparse(arg.annotation) if arg.annotation else ""
            none = isinstance(default, ast.Constant) and default.value is None
            if none or "Child" in annotation or "Scope" in annotation:
                what = f"{node.name}(children=…) optional"
                found.append(Offence(path, node.lineno, "Child", what))
    return found


def tree_offences(root: Path = PACKAGE) -> list[Offence]:
    found: list[Offence] = []
    for file in sorted(root.rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        found += scope_offences(file.read_text(encoding="utf-8"), path)
    return found


VIEW_QUERYING = """
from django.shortcuts import render
from carenet.children.models import Child

def child_list(request):
    children = Child.objects.filter(school_id=request.GET["school"])
    return render(request, "list.html", {"children": children})
"""


def test_a_view_querying_children_fails():
    [offence] = scope_offences(VIEW_QUERYING, "carenet/web/views.py")
    assert (offence.model, offence.line) == ("Child", 6)


@pytest.mark.parametrize(
    "snippet",
    [
        "FamilyMember.objects.filter(child=child)",
        "CareRecord._default_manager.all()",
        "Pairing.objects.raw('SELECT * FROM children_pairing')",
        "x = [c for c in Child.objects.iterator()]",
    ],
)
def test_every_guarded_model_and_manager_is_caught(snippet):
    for path in ("carenet/web/forms.py", "carenet/reports/cards.py", "carenet/api/views/x.py"):
        assert scope_offences(snippet, path), (snippet, path)


def test_an_empty_queryset_reads_nothing():
    assert scope_offences("field = Child.objects.none()", "carenet/web/forms.py") == []
    assert scope_offences("Child.objects.none().union(x)", "carenet/web/forms.py") == []


def test_selectors_services_jobs_and_migrations_may_query():
    snippet = "FamilyMember.objects.filter(child=child)"
    for path in (
        "carenet/web/selectors.py",
        "carenet/orgs/school_selectors.py",
        "carenet/care/services.py",
        "carenet/notify/tasks.py",
        "carenet/children/access.py",
        "carenet/children/migrations/0001_initial.py",
        "carenet/exchange/importer/matching.py",
    ):
        assert scope_offences(snippet, path) == [], path


def test_reading_every_child_is_the_access_tables_alone():
    snippet = "children = Child.objects.all()"
    assert scope_offences(snippet, "carenet/indicators/selectors.py")
    assert scope_offences(snippet, "carenet/children/access.py") == []
    # Another model's ``all()`` is not every child.
    assert scope_offences("Org.objects.all()", "carenet/indicators/selectors.py") == []


def test_the_tree_reads_children_only_through_selectors_services_and_jobs():
    offences = [o for o in tree_offences() if o.path not in PENDING]
    assert offences == [], "\n".join(map(str, offences))


def test_a_scope_left_out_is_caught():
    source = "def indicators_for(org, *, as_of, children=None):\n    pass\n"
    [offence] = optional_scopes(source, "carenet/indicators/selectors.py")
    assert offence.line == 1
    positional = "def children_under(org, children=None):\n    pass\n"
    assert optional_scopes(positional, "carenet/exchange/export.py")
    annotated = "def f(org, *, children: QuerySet[Child] = EVERYONE):\n    pass\n"
    assert optional_scopes(annotated, "carenet/reports/summary.py")
    required = "def children_under(org, children, *, as_of=None):\n    pass\n"
    assert optional_scopes(required, "carenet/exchange/export.py") == []
    a_count = "def demo_build(*, children: int = 2000):\n    pass\n"
    assert optional_scopes(a_count, "carenet/demo/services.py") == []


def test_every_selector_takes_its_scope():
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        found += optional_scopes(file.read_text(encoding="utf-8"), path)
    assert found == [], "\n".join(map(str, found))


def test_the_pending_list_only_shrinks():
    """Every module still listed offends: a module moved must leave the list."""
    offending = {o.path for o in tree_offences()}
    assert PENDING <= offending, sorted(PENDING - offending)
