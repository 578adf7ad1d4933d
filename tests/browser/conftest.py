"""The panel in a real browser: Debian's Chromium driven by Playwright against `python -m local`.

Chromium comes from Debian (`tools/ensure-chromium.sh`, a prerequisite of `make test`); Playwright's
driver ships in its wheel and nothing is downloaded at test time. Each test writes screenshots of its
steps to test-artifacts/panel/<test>/ (PANEL_SCREENSHOTS to put them elsewhere).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, LocalStackProcess, local_stack

__all__ = ["local_stack"]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("PANEL_SCREENSHOTS") or ROOT / "test-artifacts" / "panel")
# The panel polls this often in the tests (the demo page reads ?poll=): replies show within a second.
POLL_MS = 400
TIMEOUT_MS = 15_000


def chromium_path() -> str | None:
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} after the bootstrap (tools/ensure-chromium.sh, run by "
                    "`make test`) tried: install Debian's `chromium` package to run the browser tests")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Screenshots:
    """Numbered screenshots of one test's steps: <folder>/01-opened.png, 02-..."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Any, step: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(target), full_page=True)
        self.taken.append(target)
        return target


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = SCREENSHOTS / name
    shutil.rmtree(folder, ignore_errors=True)
    return Screenshots(folder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, shots: Screenshots) -> Iterator[Any]:
    """A fresh browser context per test; a script error on the page fails the test, and a failed
    test leaves a screenshot of where it stood."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    if request.node.stash.get(_FAILED, False):
        shots(tab, "failed")
    # A test's route handlers may still be fetching for the panel's polling: let them go quietly, or a
    # disposed response raises into whichever test runs next.
    tab.unroute_all(behavior="ignoreErrors")
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@dataclass
class Demo:
    """The demo page (`/`) for one fresh customer conversation, and the API behind it."""

    stack: LocalStackProcess
    conversation_id: str

    @property
    def url(self) -> str:
        return f"{self.stack.base_url}/?conversation={self.conversation_id}&poll={POLL_MS}"

    @property
    def api(self) -> str:
        return f"{self.stack.base_url}/v1/conversations/{self.conversation_id}/side-conversations"

    def create(self, body: dict[str, Any], **identity: str) -> dict[str, Any]:
        response = requests.post(self.api, json=body, headers=self.stack.headers(**identity), timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def side_conversations(self) -> list[dict[str, Any]]:
        response = requests.get(self.api, headers=self.stack.headers(), timeout=10)
        response.raise_for_status()
        return list(response.json()["items"])

    def only_side_conversation(self) -> dict[str, Any]:
        items = self.side_conversations()
        assert len(items) == 1, items
        return items[0]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        return self.stack.wait_for(predicate, timeout=timeout, interval=0.2)


@pytest.fixture
def demo(local_stack: LocalStackProcess) -> Demo:
    return Demo(local_stack, f"panel-{uuid.uuid4().hex[:10]}")
