"""The API reference page in a real (headless) browser: Swagger UI renders the operations
under the page's Content-Security-Policy, and the browser reports no violation of it.

Needs Chromium's headless shell (Debian: ``apt-get install chromium-headless-shell``);
skipped without one. tests/component/test_gateway_headers.py checks the page without one.
"""

import asyncio
import re
import shutil
from typing import Any

import httpx
import pytest
from support import gateway_server

pytestmark = pytest.mark.component

BROWSER = shutil.which("chromium-headless-shell") or shutil.which("chromium")


async def load(url: str) -> tuple[str, list[str]]:
    """The page's DOM once its scripts have run, and what the browser logged to its console."""
    assert BROWSER
    browser = await asyncio.create_subprocess_exec(
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--log-level=0",
        "--virtual-time-budget=8000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    dom, log = await asyncio.wait_for(browser.communicate(), 60)
    console = [line for line in log.decode().splitlines() if ":CONSOLE" in line]
    return dom.decode(), console


@pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed")
async def test_the_reference_renders_under_its_policy(nats_url: str) -> None:
    async with gateway_server(NATS_URL=nats_url) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            schema: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
        operations = sum(
            1 for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)
        )
        dom, console = await load(f"{url}/schema")
        assert not [line for line in console if "Content Security Policy" in line], console
        assert len(re.findall(r'class="opblock opblock-', dom)) == operations

        # An operation opened (deep link), with its request body's example and schema.
        register = schema["paths"]["/api/v1/accounts"]["post"]
        dom, console = await load(f"{url}/schema#/{register['tags'][0]}/{register['operationId']}")
        assert not [line for line in console if "Content Security Policy" in line], console
        assert re.search(r'class="opblock opblock-post is-open"', dom)
