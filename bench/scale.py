"""Figure 6: one conversation with 200 side conversations and 10,000 messages: list and get keep their
request counts, and no response page (API body or DynamoDB response) exceeds 1 MB."""

from __future__ import annotations

import json
import sys
from typing import Any

from bench import counting, scenario
from bench.core import Figure, broken, size
from bench.env import Aws

CONVERSATION = "conv-scale"
SIDE_CONVERSATIONS = 200
MESSAGES = 10_000
BIG_SHARE = 5_025  # messages on the busiest side conversation; the rest spread evenly
PAGE_LIMIT = 1024 * 1024  # 1 MB as DynamoDB counts it (a Query response stops there)
# Message bodies (characters), cycled: mostly short, some long mails (the API takes up to 50,000,
# an inbound mail keeps up to 100,000).
BODY_SIZES = (180, 420, 900, 1_600, 3_500, 250, 700, 12_000, 300, 50_000, 600, 2_400, 150, 100_000, 800, 1_100)
HOW = (f"{SIDE_CONVERSATIONS} side conversations created through the API in one conversation, then {MESSAGES:,} "
       f"messages in all ({BIG_SHARE:,} on one of them), bodies cycling from 150 to 100,000 characters, written "
       "directly (batch writes, not counted). List runs through the API handler at limits 25 and 100, get at the "
       "default (50) and at 100, following next_token to the end; each page's requests are counted, and every "
       "API response body and DynamoDB response is measured. A worst case adds one side conversation with 100 "
       "messages of 50,000 characters (the API's limit), read with limit=100.")


def _text(n: int, chars: int) -> str:
    line = f"Message {n}: the deployment log shows the checkout service restarting after the migration. "
    return (line * (chars // len(line) + 1))[:chars]


def seed(aws: Aws) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import boto3
    from sideconv import clock, keys
    from sideconv.store.models import DeliveryMap, MessageItem, PersonMap

    created = [scenario.create_email(CONVERSATION, n) if n % 2 == 0 else scenario.create_slack(CONVERSATION, n)
               for n in range(SIDE_CONVERSATIONS)]
    remaining = MESSAGES - SIDE_CONVERSATIONS  # each already holds its first message
    per_other = (remaining - (BIG_SHARE - 1)) // (SIDE_CONVERSATIONS - 1)
    plan = [(created[0], BIG_SHARE - 1)] + [(c, per_other) for c in created[1:]]
    plan[-1] = (plan[-1][0], plan[-1][1] + remaining - sum(n for _, n in plan))
    worst = scenario.create_email(CONVERSATION, SIDE_CONVERSATIONS)
    plan.append((worst, 99))
    pk = keys.conversation_pk(scenario.ACCOUNT, CONVERSATION)
    dynamodb = boto3.client("dynamodb", region_name=aws.settings.region)
    batch: list[dict[str, Any]] = []
    n = 0
    for side, count in plan:
        for _ in range(count):
            chars = 50_000 if side is worst else BODY_SIZES[n % len(BODY_SIZES)]
            inbound = n % 3 == 0
            message_id = clock.new_id()
            item = MessageItem(
                pk, keys.message_sk(side["id"], message_id), id=message_id, side_conversation_id=side["id"],
                account_id=scenario.ACCOUNT, conversation_id=CONVERSATION, channel=side["channel"],
                direction="inbound" if inbound else "outbound",
                author=PersonMap(kind="email", email="finance@vendor.example", name="Finance Team") if inbound
                else PersonMap(kind="agent", id="agent-1", name="Dana Agent", email="agent-1@acme.example"),
                body=_text(n, chars), attachments=[], created_at=clock.now_iso(),
                delivery=None if inbound else DeliveryMap(status="sent", updated_at=clock.now_iso(), attempts=1))
            batch.append({"PutRequest": {"Item": item.serialize()}})
            n += 1
            if len(batch) == 25:
                dynamodb.batch_write_item(RequestItems={aws.settings.table_name: batch})
                batch = []
    if batch:
        dynamodb.batch_write_item(RequestItems={aws.settings.table_name: batch})
    print(f"  scale: seeded {len(created) + 1} side conversations, {n + len(created) + 1} messages",
          file=sys.stderr, flush=True)
    return created, worst


def _pages(path: str, limit: int, *, follow: bool = True) -> list[dict[str, Any]]:
    """Every page of a listing, following next_token: requests, body bytes, largest DynamoDB response."""
    pages = []
    token: str | None = None
    while True:
        query = {"limit": str(limit), **({"next_token": token} if token else {})}
        with counting.recording() as recorder:
            status, text = scenario.api_call("GET", path, query=query)
        if status != 200:
            raise AssertionError(f"GET {path} {query}: {status} {text[:200]}")
        body = json.loads(text)
        items = body.get("items", body.get("messages", []))
        pages.append({"requests": recorder.total(), "calls": recorder.summary(), "body_bytes": len(text.encode()),
                      "dynamodb_bytes": recorder.max_response_bytes(), "items": len(items),
                      "first_page": token is None})
        token = body.get("next_token")
        if not token or not follow:
            return pages


def run(aws: Aws) -> list[Figure]:
    try:
        created, worst = seed(aws)
        base = scenario.base(CONVERSATION)
        lists = {limit: _pages(base, limit) for limit in (25, 100)}
        big = f"{base}/{created[0]['id']}"
        # The default page (50) once, then the whole thread at the largest page (100).
        gets = {50: _pages(big, 50, follow=False), 100: _pages(big, 100)}
        worst_pages = _pages(f"{base}/{worst['id']}", 100)
    except Exception as exc:
        return [broken("6", "scale", "list 1, get ≤ 2, pages ≤ 1 MB", exc)]

    list_pages = [p for pages in lists.values() for p in pages]
    list_max = max(p["requests"] for p in list_pages)
    listed = sum(p["items"] for p in lists[100])
    first = [p for pages in gets.values() for p in pages if p["first_page"]]
    later = [p for pages in gets.values() for p in pages if not p["first_page"]] + \
        [p for p in worst_pages if not p["first_page"]]
    got = sum(p["items"] for p in gets[100])
    all_pages = list_pages + [p for pages in gets.values() for p in pages] + worst_pages
    largest_body = max(p["body_bytes"] for p in all_pages)
    largest_ddb = max(p["dynamodb_bytes"] for p in all_pages)
    worst_first = worst_pages[0]
    return [
        Figure("6", f"scale: list, {listed} side conversations, every page", "1 request per page",
               f"max {list_max} ({len(list_pages)} pages, limits 25 and 100)",
               "pass" if list_max == 1 and listed == SIDE_CONVERSATIONS + 1 else "FAIL", raw={"pages": lists},
               note="" if listed == SIDE_CONVERSATIONS + 1 else f"listed {listed} of {SIDE_CONVERSATIONS + 1}"),
        Figure("6", f"scale: get, first page ({BIG_SHARE:,} messages)", "≤ 2 requests (goal 1)",
               f"max {max(p['requests'] for p in first)} ({first[0]['calls']})",
               "pass" if max(p["requests"] for p in first) <= 2 else "FAIL", raw={"pages": gets}),
        Figure("6", "scale: get, next pages", "≤ 2 requests (GetItem + Query)",
               f"max {max(p['requests'] for p in later)} over {len(later)} pages; {got} messages read",
               "pass" if max(p["requests"] for p in later) <= 2 and got == BIG_SHARE else "FAIL",
               note="" if got == BIG_SHARE else f"read {got} of {BIG_SHARE} messages"),
        Figure("6", "scale: largest response page", f"≤ {size(PAGE_LIMIT)} (API body and DynamoDB response)",
               f"API {size(largest_body)}, DynamoDB {size(largest_ddb)}",
               "pass" if largest_body <= PAGE_LIMIT and largest_ddb <= PAGE_LIMIT else "FAIL",
               note=f"worst case (100 × 50,000 characters, limit=100): first page {worst_first['items']} messages, "
                    f"{size(worst_first['body_bytes'])}, {worst_first['calls']}"),
    ]
