"""The panel's code stays split by job (no browser needed): modules and classes stay small, the
channels table is the one place that names a channel, and nothing goes into the page as HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PANEL_JS = ROOT / "panel" / "js"
MAX_MODULE_LINES = 300
MAX_CLASS_LINES = 250
CHANNELS_TABLE = "channels.js"


def modules() -> dict[str, str]:
    found = {path.name: path.read_text(encoding="utf-8") for path in sorted(PANEL_JS.glob("*.js"))}
    assert {CHANNELS_TABLE, "panel.js"} <= set(found), f"the panel's modules are not in {PANEL_JS}"
    return found


def class_lengths(source: str) -> dict[str, int]:
    """Each class's lines, from `class Name` to the `}` at its indentation (the code's own style)."""
    lines = source.splitlines()
    lengths = {}
    for start, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:export\s+)?(?:default\s+)?class\s+(\w+)", line)
        if not match:
            continue
        indent, name = match.groups()
        end = next((i for i in range(start + 1, len(lines)) if lines[i] == f"{indent}}}"), len(lines) - 1)
        lengths[name] = end - start + 1
    return lengths


def table_channels(source: str) -> set[str]:
    """The keys of `export const CHANNELS = { name: {...}, ... };`."""
    body = re.search(r"^export const CHANNELS = \{\n(.*?)^\};", source, re.M | re.S)
    assert body, f"{CHANNELS_TABLE} has no `export const CHANNELS = {{ ... }};` table"
    return set(re.findall(r"^  (\w+): \{", body.group(1), re.M))


def api_channels() -> set[str]:
    schema = json.loads((ROOT / "docs" / "openapi.json").read_text())["components"]["schemas"]["SideConversation"]
    return set(schema["properties"]["channel"]["enum"])


def channel_literals(source: str, channels: set[str]) -> list[str]:
    """Places a module decides by channel itself: a channel's name as a string, or a test of `.channel`."""
    names = "|".join(sorted(map(re.escape, channels)))
    quoted = re.findall(rf"""(["'`])((?:{names}))\1""", source)
    compared = re.findall(r"\.channel\s*[!=]==?|[!=]==?\s*\w+(?:\?)?\.channel\b", source)
    return [name for _, name in quoted] + compared


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_or_class_is_too_long(name: str) -> None:
    source = modules()[name]
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"panel/js/{name} is {lines} lines (at most {MAX_MODULE_LINES}): split it by job"
    for cls, length in class_lengths(source).items():
        assert length <= MAX_CLASS_LINES, f"class {cls} in panel/js/{name} is {length} lines (most {MAX_CLASS_LINES})"


def test_the_channels_table_knows_every_channel_of_the_api() -> None:
    missing = api_channels() - table_channels(modules()[CHANNELS_TABLE])
    assert not missing, f"panel/js/{CHANNELS_TABLE} has no entry for the API's channel(s) {sorted(missing)}"


def test_only_the_channels_table_and_a_channels_own_modules_name_a_channel() -> None:
    channels = table_channels(modules()[CHANNELS_TABLE]) | api_channels()
    # A channel's own modules are named after it (email-form.js): they may say which channel they are.
    views = {name: source for name, source in modules().items()
             if name != CHANNELS_TABLE and name.split("-")[0].removesuffix(".js") not in channels}
    assert {"panel.js", "list.js", "thread.js", "reply.js"} <= set(views)
    offenders = {name: found for name, source in views.items() if (found := channel_literals(source, channels))}
    assert not offenders, f"decide by channel through panel/js/{CHANNELS_TABLE}, not in the views: {offenders}"


def test_nothing_reaches_the_page_as_html() -> None:
    for name, source in modules().items():
        found = re.findall(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment)\b",
                           source)
        assert not found, f"panel/js/{name} uses {found}: API text goes in as text only (dom.js's h())"


# The checks themselves: each catches what it is for -----------------------------------------------


def test_the_checks_catch_what_they_look_for() -> None:
    long_class = "export class Big {\n" + "  x() {}\n" * 260 + "}\n"
    assert class_lengths(long_class) == {"Big": 262}
    assert class_lengths("  class Inner {\n    a;\n  }\n") == {"Inner": 3}
    assert table_channels("export const CHANNELS = {\n  email: {\n    label: 1,\n  },\n  teams: {},\n};\n") == {
        "email", "teams"}
    assert channel_literals('if (item.channel === "slack") x;', {"slack", "email"}) == ["slack", ".channel ==="]
    assert channel_literals("const kind = 'email';", {"email"}) == ["email"]
    assert channel_literals('h("input", { type: "text" }); person.kind === "slack_channel";', {"slack"}) == []
