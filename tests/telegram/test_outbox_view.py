"""What the editor's Chat view shows of the outbox and the chats: every wait in sight
(queued, waiting with seconds left, failed), Retry that sends once, Cancel that sends
nothing, and the chats with their names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telethon.tl import functions

from tests.telegram.harness import Sidecar, World, online_bot


def status_of(sidecar: Sidecar, send_id: int) -> dict[str, Any] | None:
    return sidecar.statuses().get(send_id)


def texts_to(world: World) -> list[str]:
    return [m.message for m in world.server.phone(world.user).received(world.bot)]


async def test_waiting_failed_retried_and_cancelled_sends_are_in_sight(
    world: World, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    server = world.server
    sidecar = await online_bot(world, sidecars, tmp_path, defaultChat=str(world.user.id))

    # A refusal Telegram will not change its mind about: failed, then Retry once it can.
    server.faults.answer_error(functions.messages.SendMessageRequest, 403, "CHAT_WRITE_FORBIDDEN")
    failed = await sidecar.request("tgbridge/send", {"text": "deploy finished"})
    await sidecar.wait_for(
        lambda: ((s := status_of(sidecar, failed["sendId"])) and s["state"] == "failed") or None
    )
    [item] = (await sidecar.request("tgbridge/outbox", {}))["items"]
    assert (item["sendId"], item["state"], item["preview"]) == (
        failed["sendId"],
        "failed",
        "deploy finished",
    )
    assert "You can't write in this chat" in item["error"]
    retried = await sidecar.request("tgbridge/retry", {"sendId": failed["sendId"]})
    assert retried == {"sendId": failed["sendId"]}
    await sidecar.wait_for(
        lambda: ((s := status_of(sidecar, failed["sendId"])) and s["state"] == "sent") or None
    )
    assert texts_to(world) == ["deploy finished"]
    assert (await sidecar.request("tgbridge/outbox", {}))["items"] == []

    # A flood wait: the message waits with its seconds in sight, and Cancel drops it.
    server.faults.flood_wait(functions.messages.SendMessageRequest, 60, times=None)
    waiting = await sidecar.request("tgbridge/send", {"text": "not now"})
    await sidecar.wait_state("waiting")
    [item] = (await sidecar.request("tgbridge/outbox", {}))["items"]
    assert (item["state"], item["preview"]) == ("waiting", "not now")
    assert 0 < item["waitSeconds"] <= 60
    cancelled = await sidecar.request("tgbridge/cancel", {"sendId": waiting["sendId"]})
    assert cancelled["cancelled"] is True
    assert (await sidecar.request("tgbridge/outbox", {}))["items"] == []
    again = await sidecar.request("tgbridge/cancel", {"sendId": failed["sendId"]})
    assert again["cancelled"] is False

    # The chats, with the person's name.
    server.faults.clear()
    server.phone(world.user).send(world.bot, "and the logs?")
    await sidecar.wait_for(lambda: sidecar.of("tgbridge/message") or None)
    chats = await sidecar.request("tgbridge/chats", {})
    [chat] = chats["chats"]
    assert chat["chatId"] == world.user.id and chat["last"]["text"] == "and the logs?"
    assert {"id": world.user.id, "name": "Ann"} in chats["people"] or chat["title"] in {
        "Ann",
        "@ann",
    }
    assert texts_to(world) == ["deploy finished"]  # the cancelled one never went
