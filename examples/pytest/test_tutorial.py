"""The tutorial's four senders under pytest, with the pytest-fakegraf plugin.

Run from the repository's root, with the plugin installed and fakegraf on
PATH (or FAKEGRAF_BIN set):

    pip install ./python
    pytest examples/pytest

Each test starts its own fakegraf on free ports, runs the tutorial's sender
(examples/tutorial/stats.py) against it, and asserts on what Telegraf would
store. test_broken_sender_is_caught shows what a failure looks like.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

STATS = Path(__file__).resolve().parent.parent / "tutorial" / "stats.py"


def run_stats(fg, example: int, *extra: str) -> None:
    """Run stats.py EXAMPLE with fakegraf's addresses in its environment,
    as `fakegraf run` would give them."""
    env = dict(os.environ, FAKEGRAF_ADDR=fg.addr)
    for scheme, url in fg.addrs.items():
        env["FAKEGRAF_ADDR_" + scheme.upper()] = url
    cmd = [sys.executable, str(STATS), str(example), "--count", "3", "--interval", "0", *extra]
    subprocess.run(cmd, env=env, check=True, timeout=30)


def test_example_1_json_over_udp(fakegraf):
    fg = fakegraf("udp://127.0.0.1:0", data_format="json", json_name_key="metric_name")
    run_stats(fg, 1)
    fg.wait_for("exactly 3 good_metric_name value1=10 value2:float time:recent")
    fg.assert_clean()


def test_example_2_json_over_a_unix_socket(fakegraf, tmp_path):
    fg = fakegraf(f"unix://{tmp_path}/telegraf.sock", data_format="json",
                  name_override="good_metric_name", tag_keys=["format"])
    run_stats(fg, 2)
    fg.wait_for("exactly 3 good_metric_name,format=json value1=10")
    fg.assert_clean()


def test_example_3_wavefront_over_tcp(fakegraf):
    fg = fakegraf("tcp://127.0.0.1:0", data_format="wavefront")
    run_stats(fg, 3)
    fg.wait_for("exactly 3 prefix_metric_name.value1,format=wavefront")
    fg.assert_clean()


def test_example_4_line_protocol_over_udp(fakegraf):
    fg = fakegraf("udp://127.0.0.1:0", data_format="influx")
    run_stats(fg, 4)
    fg.wait_for("exactly 3 good_metric_name,format=influxline value1=10 time:recent")
    fg.assert_clean()
    [first, *_] = fg.metrics("good_metric_name", format="influxline")
    # The tutorial writes value1=10 without an `i` suffix: line protocol
    # makes that a float, and a plugin gives Python floats for floats.
    assert first["fields"]["value1"] == 10.0 and isinstance(first["fields"]["value1"], float)


def test_broken_sender_is_caught(fakegraf):
    """The tutorial's broken example 4 sends millisecond timestamps, which
    Telegraf files in 1970: the wait fails and says why, with the fix."""
    fg = fakegraf("udp://127.0.0.1:0", data_format="influx")
    run_stats(fg, 4, "--broken")
    with pytest.raises(AssertionError) as failure:
        fg.wait_for("at-least 1 good_metric_name value1=10 time:recent", timeout=1)
    message = str(failure.value)
    assert "nearest metric received" in message
    assert "timestamp-unit" in message
    assert "--influx-timestamp-precision 1ms" in message
