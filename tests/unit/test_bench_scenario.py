"""Inputs of the throughput figure: corpus-shaped replies grown to a size, still the same reply."""

from __future__ import annotations

from bench import scenario


def _reply() -> bytes:
    return scenario.GENERATED.format(to="sc.x@reply.example.com", n=1).encode()


def test_a_mail_is_grown_to_about_its_target_with_quoted_history() -> None:
    from sideconv.email.parse import parse

    grown = scenario.pad(_reply(), 50 * 1024)
    assert 50 * 1024 <= len(grown) <= 60 * 1024
    mail = parse(grown)
    assert mail.text.startswith("Approved, go ahead with the refund.")
    assert "> On Mon, Sep 2, 2024" in mail.text
    assert mail.message_id == "<1.generated@vendor.example>"


def test_a_mail_already_large_enough_is_unchanged() -> None:
    assert scenario.pad(_reply(), 100) == _reply()


def test_sizes_spread_over_the_range_and_repeat_run_to_run() -> None:
    sizes = [len(m) for m in scenario.mail_shapes(60)]
    assert min(sizes) >= 5 * 1024
    assert max(sizes) <= 100 * 1024 * 1.2
    assert max(sizes) > 4 * min(sizes)
    assert sizes == [len(m) for m in scenario.mail_shapes(60)]


def test_a_slack_reply_is_a_thread_reply_of_the_app_team() -> None:
    envelope = scenario.slack_reply("1726000000.000100", 7)
    event = envelope["event"]
    assert envelope["type"] == "event_callback"
    assert event["thread_ts"] == "1726000000.000100"
    assert event["ts"] != event["thread_ts"]
    assert envelope["event_id"] != scenario.slack_reply("1726000000.000100", 8)["event_id"]
