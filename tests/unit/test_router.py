"""Which window hears what: statuses to the sender, replies to the window whose message
they answer, else the chosen workspace's windows, else every editor window."""

from __future__ import annotations

from tgbridge.hub.router import Router, Window


def window(kind: str = "window", *folders: str) -> Window:
    return Window(kind, list(folders), lambda method, params, written: None)  # type: ignore[arg-type]


def test_statuses_go_to_the_window_that_sent_and_replies_follow_them() -> None:
    router = Router()
    alpha, beta, script = (
        window("window", "file:///a"),
        window("window", "file:///b"),
        window("cli"),
    )
    for each in (alpha, beta, script):
        router.attach(each)
    router.sent(7, beta)
    assert router.for_status(7, chat_id=42, telegram_ids=[100, 101]) == [beta]
    assert router.for_status(8, chat_id=42, telegram_ids=[102]) == []  # nobody sent it here
    assert router.for_message(42, reply_to=101) == [beta]
    assert router.for_message(43, reply_to=101) == [alpha, beta]  # another chat's 101
    assert router.for_message(42, reply_to=None) == [alpha, beta]  # never the command line


def test_the_chosen_workspace_takes_what_is_not_a_reply() -> None:
    router = Router()
    alpha, beta = window("window", "file:///a"), window("window", "file:///b", "file:///c")
    router.attach(alpha)
    router.attach(beta)
    router.chosen_workspace = "file:///c"
    assert router.for_message(42, reply_to=None) == [beta]
    router.chosen_workspace = "file:///gone"
    assert router.for_message(42, reply_to=None) == [alpha, beta]


def test_a_window_that_left_hears_nothing_and_its_replies_go_to_everyone() -> None:
    router = Router()
    alpha, beta = window("window", "file:///a"), window("window", "file:///b")
    router.attach(alpha)
    router.attach(beta)
    router.sent(1, alpha)
    router.for_status(1, chat_id=5, telegram_ids=[9])
    router.detach(alpha)
    assert router.for_status(1, chat_id=5, telegram_ids=[9]) == []
    assert router.for_message(5, reply_to=9) == [beta]
    router.detach(beta)
    assert router.for_message(5, reply_to=None) == []  # kept unseen for the next window
