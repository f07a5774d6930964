"""Where things live: views reach the database only through selectors and services, every
owner-scoped view takes its queryset from a selector, and services name what they take."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from config.viewsets import OwnedModelViewSet

ROOT = Path(__file__).resolve().parent.parent
APPS = ("authentication", "chatbots", "flows", "components", "integrations", "executions")


def _modules(pattern: str) -> list[Path]:
    return sorted(path for app in APPS for path in (ROOT / app).rglob(pattern) if "migrations" not in path.parts)


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@pytest.mark.parametrize("path", _modules("*views.py"), ids=lambda path: _dotted(path))
def test_views_reach_the_database_only_through_selectors_and_services(path):
    tree = ast.parse(path.read_text())
    managers = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
    ]
    assert managers == [], f"{_dotted(path)} queries a model directly ({', '.join(managers)}): use a selector"


@pytest.mark.parametrize("app", APPS)
def test_every_app_has_its_selectors(app):
    assert (ROOT / app / "selectors.py").is_file()


def test_an_owner_scoped_view_cannot_replace_its_selector():
    with pytest.raises(TypeError, match="overrides get_queryset"):

        class Sneaky(OwnedModelViewSet):
            def get_queryset(self):  # pragma: no cover - refused before it could run
                return None


def _public_functions(pattern: str):
    for path in _modules(pattern):
        module = importlib.import_module(_dotted(path))
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", inspect.signature(function)


def test_services_and_selectors_annotate_who_acts_and_take_no_loose_keywords():
    problems = []
    for name, signature in [*_public_functions("services.py"), *_public_functions("selectors.py")]:
        for parameter in signature.parameters.values():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                problems.append(f"{name}(**{parameter.name})")
            if parameter.name in ("owner", "user") and parameter.annotation is inspect.Parameter.empty:
                problems.append(f"{name}({parameter.name}) is not annotated")
    assert problems == []


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file, function-level ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_each_app_imports_only_the_apps_to_its_left_but_a_view_may_call_upward():
    wrong = []
    for app in APPS:
        for path in _modules_of(app):
            is_view = path.name.endswith("views.py")
            for line, module in _imports(path):
                other = module.split(".")[0]
                if other in APPS and APPS.index(other) > APPS.index(app) and not is_view:
                    wrong.append(f"{_dotted(path)}:{line} imports {module}")
    assert wrong == []


def _modules_of(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


def _module_imports() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (function-level imports included). `from
    package import module` depends on that module; a module's own parent packages are left out
    (Python initialises them first whatever the module imports)."""
    paths = {}
    for app in (*APPS, "config"):
        for path in _modules_of(app):
            name = _dotted(path)
            paths[name.removesuffix(".__init__")] = path

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in paths else base)
        ancestors = {name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)}
        graph[name] = {found for target in targets if (found := known(target)) and found != name} - ancestors
    return graph


def test_no_two_modules_import_each_other_even_through_others():
    graph = _module_imports()
    cycles, visiting, done = [], [], set()

    def visit(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            cycles.append(" -> ".join([*visiting[visiting.index(module) :], module]))
            return
        visiting.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert cycles == []
