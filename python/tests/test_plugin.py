"""Tests of pytest-fakegraf, run under pytester against the real binary
(FAKEGRAF_BIN)."""

import textwrap
from pathlib import Path

import pytest

# A sender helper for the tests under pytester: runs the tutorial's
# stats.py against fakegraf's listener of the example's socket kind.
HELPERS = '''
import os, subprocess, sys
STATS = {stats!r}

def run_example(fg, example, *extra):
    env = dict(os.environ)
    for scheme, url in fg.addrs.items():
        env["FAKEGRAF_ADDR_" + scheme.upper()] = url
    env["FAKEGRAF_ADDR"] = fg.addr
    subprocess.run([sys.executable, STATS, str(example), "--count", "3", "--interval", "0", *extra], env=env, check=True)
'''


def write(pytester: pytest.Pytester, stats: Path, body: str) -> None:
    pytester.makepyfile(test_sender=HELPERS.format(stats=str(stats)) + textwrap.dedent(body))


def test_tutorial_senders_pass(pytester: pytest.Pytester, tutorial: Path) -> None:
    write(pytester, tutorial, '''
        def test_example_1_json_over_udp(fakegraf):
            fg = fakegraf("udp://127.0.0.1:0", data_format="json", json_name_key="metric_name")
            run_example(fg, 1)
            fg.wait_for("exactly 3 good_metric_name value1=10 value2:float time:recent")
            fg.assert_clean()
            m = fg.metrics("good_metric_name")[0]
            assert m["fields"]["value1"] == 10.0 and isinstance(m["fields"]["value1"], float)  # JSON numbers are floats to Telegraf
            assert isinstance(m["time"], int) and m["time"] > 1_600_000_000 * 10**9

        def test_example_2_json_over_unix(fakegraf, tmp_path):
            fg = fakegraf(f"unix://{tmp_path}/telegraf.sock", data_format="json",
                          name_override="good_metric_name", tag_keys=["format"])
            assert fg.socket == f"{tmp_path}/telegraf.sock"
            run_example(fg, 2)
            fg.wait_for("exactly 3 good_metric_name,format=json value1=10")
            fg.assert_clean()

        def test_example_3_wavefront_over_tcp(fakegraf):
            fg = fakegraf("tcp://127.0.0.1:0", data_format="wavefront")
            assert fg.port > 0 and fg.host == "127.0.0.1"
            run_example(fg, 3)
            fg.wait_for("exactly 3 prefix_metric_name.value1,format=wavefront")
            fg.assert_clean()

        def test_example_4_influx_over_udp(fakegraf):
            fg = fakegraf("udp://127.0.0.1:0", data_format="influx")
            run_example(fg, 4)
            fg.wait_for(["exactly 3 good_metric_name,format=influxline value1=10", "never /bad/"])
            fg.assert_clean()
            assert fg.metrics("good_metric_name", format="influxline")[0]["tags"]["format"] == "influxline"
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_glued_json_stream_fails_with_the_fix(pytester: pytest.Pytester, tutorial: Path) -> None:
    write(pytester, tutorial, '''
        def test_example_2_broken(fakegraf, tmp_path):
            fg = fakegraf(f"unix://{tmp_path}/telegraf.sock", data_format="json",
                          name_override="good_metric_name", tag_keys=["format"])
            run_example(fg, 2, "--broken")
            fg.wait_for("at-least 3 good_metric_name,format=json value1=10", timeout=0.5)
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E*AssertionError: fakegraf: not within 0.5s (the timeout of 500ms passed):",
        "E*  expected: at-least 3 good_metric_name,format=json value1=10",
        "E*  got:      0 matching metric(s), want at least 3",
        "*error?missing-newline? unix://*record 1 at 1:*: 3 JSON documents glued into one record*",  # ? for the brackets, which fnmatch reads as a set
        '*  record: "{\\"value1\\": 10*',
        '*  fix: append "\\n" after every JSON document (json.dumps(data) + "\\n")',
        # the report of the failed test carries fakegraf's summary
        "*- fakegraf report -*",
        "*summary*",
    ])
    # pytest shows the message as written, not the plugin's internals
    assert "def wait_for" not in result.stdout.str()


def test_millisecond_timestamp_shows_the_nearest_metric(pytester: pytest.Pytester, tutorial: Path) -> None:
    write(pytester, tutorial, '''
        def test_example_4_broken(fakegraf):
            fg = fakegraf("udp://127.0.0.1:0", data_format="influx")
            run_example(fg, 4, "--broken")
            fg.wait_for("at-least 1 good_metric_name,format=influxline value1=10 time:recent", timeout=0.5)
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E*nearest metric received: my:metric|name,format=influxline* value1=10*",
        "E*name: want \"good_metric_name\", got \"my:metric|name\"",
        "E*time: want within a day of now, got 1970-* (a timestamp in the wrong unit?)",
        "*error?timestamp-unit?*",
        "*fix: pass --influx-timestamp-precision 1ms (in pytest: fakegraf(..., influx_timestamp_precision='1ms'))",
    ])


def test_json_string_field_dropped_fails_assert_clean(pytester: pytest.Pytester, tutorial: Path) -> None:
    write(pytester, tutorial, '''
        import json, socket

        def test_string_field(fakegraf):
            fg = fakegraf("udp://127.0.0.1:0", data_format="json", json_name_key="metric_name")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(json.dumps({"metric_name": "order", "price": 9.5, "status": "paid"}).encode() + b"\\n", (fg.host, fg.port))
            fg.wait_for("at-least 1 order price=9.5")
            assert fg.metrics("order")[0]["fields"] == {"price": 9.5}
            fg.assert_clean()
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E*AssertionError: fakegraf found 1 problem(s) at or above warning in what the sender sent:",
        "E*warning?json-string-dropped? udp://127.0.0.1:*record 1*\"status\"*",
        "E*fix: keep it as a tag: pass --tag-keys status (in pytest: fakegraf(..., tag_keys='status'))",
        "E*fix: or keep it as a field: pass --json-string-fields status (in pytest: fakegraf(..., json_string_fields='status'))",
    ])


def test_exact_integers_and_reset(pytester: pytest.Pytester, tutorial: Path) -> None:
    write(pytester, tutorial, '''
        import socket

        def test_big(fakegraf):
            fg = fakegraf("udp://127.0.0.1:0", data_format="influx", fail_on="error", omit_hostname=True)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"big i=9007199254740993i,u=18446744073709551615u,f=10.0,b=true,s=\\"x\\" 1795608000000000001\\n", (fg.host, fg.port))
            fg.wait_for("at-least 1 big")
            m = fg.metrics("big")[0]
            assert m == {"name": "big", "tags": {}, "fields": {"i": 9007199254740993, "u": 18446744073709551615, "f": 10.0, "b": True, "s": "x"}, "time": 1795608000000000001}
            assert isinstance(m["fields"]["f"], float)
            fg.reset()
            assert fg.metrics() == []
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_golden_update_then_compare(pytester: pytest.Pytester, tutorial: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(pytester, tutorial, '''
        import os, socket

        def test_golden(fakegraf):
            fg = fakegraf("udp://127.0.0.1:0", data_format="influx")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(("cpu,dc=eu usage=" + os.environ["USAGE"] + " 1700000000000000000\\n").encode(), (fg.host, fg.port))
                s.sendto(b"mem used=3i\\n", (fg.host, fg.port))
            fg.wait_for("at-least 1 mem")
            fg.golden("sender.golden")
    ''')
    monkeypatch.setenv("USAGE", "1.5")
    missing = pytester.runpytest("-p", "no:cacheprovider")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["E*AssertionError: golden file sender.golden does not exist: run pytest --fakegraf-update once to create it*"])

    pytester.runpytest("-p", "no:cacheprovider", "--fakegraf-update").assert_outcomes(passed=1)
    golden = (pytester.path / "sender.golden").read_text()
    assert "cpu,dc=eu usage=1.5 1700000000000000000\nmem used=3i\n" in golden
    assert "# Regenerate with pytest --fakegraf-update" in golden
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    monkeypatch.setenv("USAGE", "1.25")
    changed = pytester.runpytest("-p", "no:cacheprovider")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines([
        "E*AssertionError: golden file sender.golden: what arrived differs from the golden file (rerun with pytest --fakegraf-update to accept it)",
        "E*-cpu,dc=eu usage=1.5 1700000000000000000",
        "E*+cpu,dc=eu usage=1.25 1700000000000000000",
    ])


def test_missing_binary_says_how_to_install(pytester: pytest.Pytester, tutorial: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(pytester, tutorial, '''
        def test_x(fakegraf):
            fakegraf()
    ''')
    monkeypatch.setenv("FAKEGRAF_BIN", str(pytester.path / "nowhere"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAKEGRAF_BIN=*nowhere is not an executable file*go install github.com/fakegraf/fakegraf/cmd/fakegraf@latest*make build*"])


def test_bad_flag_shows_fakegrafs_message(pytester: pytest.Pytester, tutorial: Path) -> None:
    write(pytester, tutorial, '''
        def test_x(fakegraf):
            fakegraf("udp://127.0.0.1:0", data_fromat="json")
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fakegraf exited with status 2 before it listened*", "*data-format*"])
