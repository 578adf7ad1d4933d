"""The local stack as a user runs it (`python -m local`), in a subprocess on free 127.0.0.1 ports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from local.process import free_port, stop

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LocalStackProcess:
    base_url: str
    smtp_port: int
    slack_api_url: str
    output: Path

    def token(self, role: str = "agent", account: str = "acme", user: str = "agent-1", **kw: object) -> str:
        from local.token import mint

        return mint(role, account, user, **kw)  # type: ignore[arg-type]

    def headers(self, **kw: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kw)}"}

    def settle(self) -> bool:
        """Wait until the stack's glue has moved everything written so far through every hop
        (False: still busy after the stack's 10 s)."""
        return requests.post(f"{self.base_url}/_local/settle", timeout=30).status_code == 200

    def wait_for(self, predicate, timeout: float = 10.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
        """Until `predicate()` returns something truthy: after the glue settles (most conditions hold
        then), polling for what runs beside it (the SMTP server, the Slack stand-in's deliveries)."""
        deadline = time.monotonic() + timeout
        while True:
            self.settle()
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            time.sleep(interval)


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    port, smtp_port, slack_port = free_port(), free_port(), free_port()
    output = tmp_path_factory.mktemp("local-stack") / "stack.log"
    env = {**os.environ, "PORT": str(port), "SMTP_PORT": str(smtp_port), "SLACK_API_PORT": str(slack_port),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "layers"), str(ROOT)])}
    for name in ("TABLE_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"local stack exited early:\n{output.read_text()}")
            try:
                if requests.get(f"{base_url}/_local/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"local stack not healthy in time:\n{output.read_text()}")
            time.sleep(0.2)
        yield LocalStackProcess(base_url, smtp_port, f"http://127.0.0.1:{slack_port}/api/", output)
    finally:
        stop(process)
