"""The layering rules, checked on the source with `ast`: pipelines are wiring over the library, never the
other way round, and no function grows past what a reader can hold in their head."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "nlv_kedro"
PIPELINES = SRC / "pipelines"
MAX_FUNCTION_LINES = 60
MAX_PIPELINES_LINES = 1300


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved for package files)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside_src = SRC in path.parents
    package = _module_name(path).split(".") if inside_src else []
    if inside_src and path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and inside_src:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots if root.exists() for p in root.rglob("*.py"))


def _pipeline_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["nlv_kedro", "pipelines"] and len(parts) > 2:
        return parts[2]
    return None


def test_import_resolution_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    probe = PIPELINES / "pretrain" / "pipeline.py"
    names = imported_modules(probe)
    assert "nlv_kedro.pipelines.pretrain.nodes" in names or any(n.startswith("nlv_kedro.pipelines.pretrain") for n in names)
    outside = tmp_path / "script.py"
    outside.write_text("from nlv_kedro.pipelines.encode import nodes\nimport nlv_kedro.pipelines.tune\n")
    assert {"nlv_kedro.pipelines.encode", "nlv_kedro.pipelines.tune"} <= imported_modules(outside)


def _reaches_into_a_pipeline(module: str, root: str) -> bool:
    """Tests may assemble a pipeline (``create_pipeline``) to run it; only tests/pipelines/ tests node functions."""
    if not _pipeline_of(module):
        return False
    rest = module.split(".")[3:]
    return not (root == "tests" and rest in ([], ["create_pipeline"]))


@pytest.mark.parametrize("root", ["src", "tests", "benchmarks", "experiments"])
def test_nothing_outside_pipelines_imports_them(root: str) -> None:
    allowed = (PIPELINES, ROOT / "tests" / "pipelines")
    offenders = []
    for path in _python_files(ROOT / root):
        if any(a in path.parents for a in allowed) or path == SRC / "pipeline_registry.py":
            continue
        bad = sorted(n for n in imported_modules(path) if _reaches_into_a_pipeline(n, root))
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {bad}")
    assert not offenders, "only pipelines/ (and their tests) may import pipeline modules:\n" + "\n".join(offenders)


def test_no_pipeline_imports_another() -> None:
    offenders = []
    for path in _python_files(PIPELINES):
        own = _pipeline_of(_module_name(path))
        others = {p for n in imported_modules(path) if (p := _pipeline_of(n)) and p != own}
        if own and others:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(others)}")
    assert not offenders, "\n".join(offenders)


def test_pipelines_are_thin() -> None:
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in _python_files(PIPELINES))
    assert lines < MAX_PIPELINES_LINES, f"src/nlv_kedro/pipelines has {lines} lines; move library work out"


def test_no_function_over_the_limit() -> None:
    long = []
    for path in _python_files(SRC):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "\n".join(long)
