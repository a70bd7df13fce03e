"""The local Messages API stand-in (helpers/messages_api.py) answers like the real API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from helpers.messages_api import MessagesAPI

TOKEN = "sk-ant-oat01-SERVERtestTOKEN0123456789abcdef"


def post(url: str, body: dict, headers: dict[str, str]) -> tuple[int, str, str]:
    request = urllib.request.Request(url + "/v1/messages?beta=true", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode()


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_streams_a_complete_message_for_the_accepted_bearer_token():
    with MessagesAPI(accept=TOKEN) as api:
        status, kind, text = post(api.url, {"model": "m", "stream": True, "messages": []},
                                  {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and kind == "text/event-stream"
    events = sse_events(text)
    assert [name for name, _ in events] == ["message_start", "content_block_start", "ping", "content_block_delta",
                                            "content_block_stop", "message_delta", "message_stop"]
    assert all(data["type"] == name for name, data in events)
    assert events[3][1]["delta"] == {"type": "text_delta", "text": "ok"}
    assert events[5][1]["delta"]["stop_reason"] == "end_turn"
    assert api.bearer_tokens() == [TOKEN]
    assert api.summary() == ["POST /v1/messages -> 200"]


def test_non_streaming_request_gets_a_message_object():
    with MessagesAPI(accept=TOKEN) as api:
        status, _, text = post(api.url, {"model": "m", "messages": []}, {"x-api-key": TOKEN})
    assert status == 200 and json.loads(text)["content"] == [{"type": "text", "text": "ok"}]
    assert api.api_keys() == [TOKEN]


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer sk-ant-oat01-someoneELSE0123456789abcdef"},
    {"x-api-key": "sk-ant-api03-aKEYnotTHEsession0123456789"},
    {},
])
def test_anything_but_the_accepted_token_gets_the_apis_401(headers):
    with MessagesAPI(accept=TOKEN) as api:
        status, _, text = post(api.url, {"stream": True}, headers)
    assert status == 401
    assert json.loads(text)["error"]["type"] == "authentication_error"


def test_forced_status_refuses_even_the_right_token():
    with MessagesAPI(accept=TOKEN, status=401) as api:
        status, _, _ = post(api.url, {"stream": True}, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 401
    assert api.bearer_tokens() == [TOKEN]  # it still records what it saw
