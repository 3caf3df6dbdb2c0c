"""The API reference page in Chromium, on the running system: Swagger UI renders every
operation under the page's Content-Security-Policy (the page fixture fails the test on any
refusal), an operation opens from its deep link, and axe-core finds nothing serious."""

from typing import Any

import httpx
from browser_kit import Huddle, axe
from playwright.async_api import Page, expect

# Swagger UI's own markup breaks these (low-contrast grey labels, a button inside its
# operation summaries, an unlabelled servers select). The reference is the developers'
# page from swagger-ui-dist, not the members' app; any other serious violation still fails.
SWAGGER_UI_OWN = frozenset({"color-contrast", "nested-interactive", "select-name"})


async def test_the_reference_renders_every_operation_under_its_policy(
    page: Page, huddle: Huddle
) -> None:
    async with httpx.AsyncClient(base_url=huddle.url, timeout=30) as client:
        schema: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    operations = sum(
        1 for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)
    )
    await page.goto("/schema")
    await expect(page.locator(".opblock")).to_have_count(operations)
    await axe(page, known=SWAGGER_UI_OWN)

    # An operation opened (deep link), with its request body's example and schema.
    register = schema["paths"]["/api/v1/accounts"]["post"]
    await page.goto(f"/schema#/{register['tags'][0]}/{register['operationId']}")
    await page.reload()  # a new fragment alone does not load the page again
    await expect(page.locator(".opblock.opblock-post.is-open")).to_have_count(1)
