"""The package's layout holds: stages import only earlier stages, pages import only the app
layer, the forecast never depends on its evaluation, and no module grows past 400 lines."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lacrime"
# Each stage may import the stages before it, and the top-level modules (errors, paths, ...).
STAGES = ("data", "hourly", "hotspots", "ops", "app")
MAX_MODULE_LINES = 400


def imports(path: Path) -> set[str]:
    """Every `lacrime...` module a file imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "lacrime"}


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_stage_imports_only_earlier_stages(path: Path) -> None:
    own = stage_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    if own is None:
        return
    allowed = set(STAGES[: STAGES.index(own) + 1])
    if own in ("hourly", "hotspots"):  # peers: neither reads the other
        allowed -= {"hourly", "hotspots"} - {own}
    later = sorted(m for m in imports(path) if stage_of(m) not in (None, *allowed))
    assert not later, f"{path.name} imports a later stage: {later}"


def test_forecasts_never_import_their_evaluation() -> None:
    for stage in ("hourly", "hotspots"):
        forecast = imports(PACKAGE / stage / "forecast.py")
        assert not [m for m in forecast if m.startswith(f"lacrime.{stage}.evaluation")]
        assert f"lacrime.{stage}.forecast" in imports(PACKAGE / stage / "evaluation.py")


@pytest.mark.parametrize(
    "page", sorted((ROOT / "app_pages").glob("*.py")) + [ROOT / "app.py"], ids=lambda p: p.name
)
def test_pages_import_only_the_app_layer(page: Path) -> None:
    outside = sorted(m for m in imports(page) if not m.startswith("lacrime.app"))
    assert not outside, f"{page.name} imports {outside}"


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long
