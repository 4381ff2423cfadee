"""pytest plugin: the ``fakegraf`` fixture runs fakegraf, a stand-in for
Telegraf that parses what a sender sends with Telegraf's own code and
reports every mistake with its fix.

The fixture is a factory::

    def test_sender(fakegraf):
        fg = fakegraf("udp://127.0.0.1:0", data_format="json", json_name_key="metric_name")
        send_stats(fg.host, fg.port)
        fg.wait_for("at-least 1 good_metric_name value1=10")
        fg.assert_clean()

It starts the fakegraf binary (``FAKEGRAF_BIN``, else ``fakegraf`` on PATH)
with its HTTP API on a free port and talks to it over that API
(docs/api.md). Nothing here parses line protocol, expectations or golden
files: fakegraf does, so that pytest says exactly what ``fakegraf run``
says.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import pytest

__all__ = ["Fakegraf", "FakegrafError"]

INSTALL_HINT = (
    "install it with `go install github.com/fakegraf/fakegraf/cmd/fakegraf@latest` "
    "(it lands in $(go env GOPATH)/bin: put that on PATH), or from a clone run "
    "`make build` and set FAKEGRAF_BIN=$PWD/bin/fakegraf"
)

# How long fakegraf may take to bind its sockets and say so, and to print
# its summary after SIGINT before it is killed.
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

SEVERITIES = {"info": 1, "warning": 2, "error": 3}

_instances = pytest.StashKey[List["Fakegraf"]]()


# fakegraf words a fix for the command line ("pass --influx-timestamp-precision
# 1ms"); under pytest the same setting is a keyword argument of the fixture.
_FLAG_FIX = re.compile(r"pass --([a-z][a-z0-9-]*)(?: ([^ ,;]+))?")


def _in_fixture_terms(fix: str) -> str:
    def keyword(m: "re.Match[str]") -> str:
        name = m.group(1).replace("-", "_")
        value = f"{m.group(2)!r}" if m.group(2) else "True"
        return f"{m.group(0)} (in pytest: fakegraf(..., {name}={value}))"

    return _FLAG_FIX.sub(keyword, fix)


class FakegrafError(Exception):
    """fakegraf could not run, or its API refused a request."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakegraf")
    group.addoption(
        "--fakegraf-update",
        action="store_true",
        default=False,
        help="fg.golden(path) writes what arrived to the golden file instead of comparing (review the diff before committing)",
    )


@pytest.fixture
def fakegraf(request: pytest.FixtureRequest) -> Iterator[Callable[..., "Fakegraf"]]:
    """Start fakegraf: ``fakegraf(*addresses, config=None, **flags)``.

    Addresses are service_address URLs (``udp://127.0.0.1:0``, port 0 for a
    free one); none and no config: ``udp://127.0.0.1:0``. Keyword arguments
    are fakegraf's flags (``data_format="json"`` is ``--data-format json``;
    True is a bare flag, a list is comma separated), and ``set={...}`` gives
    any other socket_listener option (``--set key=value``). Every fakegraf
    started is stopped at teardown; when the test fails, its report
    (findings and summary) is added to the test's report.
    """
    started: List[Fakegraf] = []
    request.node.stash[_instances] = started
    update = bool(request.config.getoption("fakegraf_update"))

    def start(*addresses: str, config: Optional[Union[str, os.PathLike]] = None, **flags: Any) -> Fakegraf:
        fg = Fakegraf._start(addresses, config, flags, update=update)
        started.append(fg)
        return fg

    yield start
    for fg in started:
        fg.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    # The summary exists once fakegraf stops, and the test is over: stop
    # it now, so that the report of the failed test carries it.
    for i, fg in enumerate(item.stash.get(_instances, [])):
        fg.stop()
        name = "fakegraf report" if i == 0 else f"fakegraf report ({i + 1})"
        rep.sections.append((name, fg.report()))


class Fakegraf:
    """One running fakegraf, driven over its HTTP API."""

    def __init__(self, proc: "subprocess.Popen[bytes]", api: str, listeners: Sequence[str],
                 out: Path, err: Path, fail_on: str, update: bool, tmp: "tempfile.TemporaryDirectory[str]") -> None:
        self._proc = proc
        self.api: str = api
        """The API's base URL, such as ``http://127.0.0.1:40123``."""
        self.addrs_list: List[str] = list(listeners)
        """Every listener URL, in the order fakegraf bound them."""
        self._out, self._err, self._tmp = out, err, tmp
        self._fail_on = fail_on
        self._update = update
        self._report: Optional[str] = None

    # ---- starting and stopping

    @classmethod
    def _start(cls, addresses: Sequence[str], config: Optional[Union[str, os.PathLike]],
               flags: Mapping[str, Any], update: bool) -> "Fakegraf":
        binary = find_binary()
        args = [binary, "listen"]
        if config is not None:
            if addresses:
                raise FakegrafError("give fakegraf(...) either addresses or config=, not both: a telegraf.conf says where to listen")
            args += ["--config", os.fspath(config)]
        else:
            args += list(addresses) or ["udp://127.0.0.1:0"]
        flags = dict(flags)
        fail_on = str(flags.get("fail_on", "warning"))
        if fail_on not in ("info", "warning", "error", "never"):
            raise FakegrafError(f"fail_on={fail_on!r}: want 'info', 'warning', 'error' or 'never'")
        args += cli_flags(flags)
        # -q: the report added to a failed test holds findings and the
        # summary, not every record.
        args += ["--http", "127.0.0.1:0", "-q", "--color", "never"]
        tmp = tempfile.TemporaryDirectory(prefix="fakegraf-")
        out, err = Path(tmp.name, "stdout"), Path(tmp.name, "stderr")
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        try:
            api = wait_started(proc, err)
            # The `listening on` lines come after every socket is bound, and
            # each was announced to the API before: its summary lists them
            # all, machine-readably, ports resolved.
            summary = request_json("GET", api + "/api/v1/summary")
            listeners = [str(l["listener"]) for l in summary.get("listeners", [])]
            # The golden comparison reads the page's recording, which
            # keeps what --golden needs (which timestamps the sender set).
            request_json("POST", api + "/recording", {"recording": True})
        except BaseException:
            stop_process(proc)
            tmp.cleanup()
            raise
        return cls(proc, api, listeners, out, err, fail_on, update, tmp)

    def stop(self) -> None:
        """Stop fakegraf (SIGINT, as Ctrl-C) and keep its report. Idempotent."""
        if self._report is not None:
            return
        stop_process(self._proc)
        out = self._out.read_text(errors="replace")
        notes = [l for l in self._err.read_text(errors="replace").splitlines()
                 if not l.startswith(("api on ", "listening on "))]
        self._report = out + ("\n" + "\n".join(notes) + "\n" if notes else "")
        self._tmp.cleanup()

    def report(self) -> str:
        """fakegraf's text report (findings and summary); it stops fakegraf."""
        self.stop()
        return self._report or ""

    # ---- addresses

    @property
    def addr(self) -> str:
        """The first listener's URL, such as ``udp://127.0.0.1:40123``."""
        return self.addrs_list[0]

    @property
    def addrs(self) -> Dict[str, str]:
        """The first listener of each scheme: ``{"udp": "udp://127.0.0.1:40123", ...}``."""
        out: Dict[str, str] = {}
        for url in self.addrs_list:
            out.setdefault(url.split("://", 1)[0], url)
        return out

    def _first_ip(self) -> urllib.parse.SplitResult:
        for url in self.addrs_list:
            u = urllib.parse.urlsplit(url)
            if not u.scheme.startswith("unix"):
                return u
        raise AttributeError(f"fakegraf has no IP listener (only {', '.join(self.addrs_list)}): use fg.socket")

    @property
    def host(self) -> str:
        """The first IP listener's host, such as ``127.0.0.1``."""
        return self._first_ip().hostname or ""

    @property
    def port(self) -> int:
        """The first IP listener's port: the real one when you asked for 0."""
        return self._first_ip().port or 0

    @property
    def socket(self) -> Optional[str]:
        """The first unix socket's path, or None."""
        for url in self.addrs_list:
            if url.startswith("unix"):
                return urllib.parse.urlsplit(url).path
        return None

    # ---- what arrived

    def metrics(self, name: Optional[str] = None, **tags: str) -> List[Dict[str, Any]]:
        """The metrics Telegraf would store, oldest first: dicts with name,
        tags, fields (int, float, bool or str, integers exact) and time
        (int nanoseconds). ``name`` and ``tags`` filter."""
        query: List[tuple] = []
        if name is not None:
            query.append(("name", name))
        query += [("tag", f"{k}:{v}") for k, v in tags.items()]
        got = self._get("/api/v1/metrics", query)
        return [to_python(m) for m in got["metrics"]]

    def findings(self, rule: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every finding, oldest first, as the API gives it (rule,
        severity, message, source, position, fixes, record_id)."""
        return list(self._get("/api/v1/findings", [("rule", rule)] if rule else [])["findings"])

    def assert_clean(self) -> None:
        """Fail when fakegraf found anything at or above ``fail_on``
        (default warning), listing each finding with its record and fix."""
        __tracebackhide__ = True
        if self._fail_on == "never":
            return
        at = SEVERITIES[self._fail_on]
        bad = [f for f in self.findings() if SEVERITIES.get(f.get("severity", ""), 3) >= at]
        if bad:
            raise AssertionError(
                f"fakegraf found {len(bad)} problem(s) at or above {self._fail_on} in what the sender sent:\n\n"
                + self._describe(bad))

    def wait_for(self, expectation: Union[str, Sequence[str]], timeout: float = 5.0) -> None:
        """Wait until the expectation holds (``--expect`` syntax, such as
        ``at-least 1 cpu,host=web1 usage>0:float``; a list for several).
        On timeout, fail with the nearest metric and what differed."""
        __tracebackhide__ = True
        lines = [expectation] if isinstance(expectation, str) else list(expectation)
        body = {"expect": lines, "timeout": f"{timeout}s"}
        try:
            res = request_json("POST", self.api + "/api/v1/wait", body, timeout=timeout + 10)
        except FakegrafError as e:
            raise ValueError(f"fg.wait_for: {e}") from None
        if res.get("ok"):
            return
        parts = [f"fakegraf: not within {timeout:g}s ({res.get('reason', 'the wait ended')}):"]
        for o in res.get("expectations", []):
            if o.get("ok"):
                continue
            parts.append(f"  expected: {o['expect']}")
            parts.append(f"  got:      {o['matches']} matching metric(s), want {o['want']}")
            nearest = o.get("nearest")
            if nearest:
                parts.append(f"  nearest metric received: {nearest['line']}")
                parts += [f"    {d}" for d in nearest.get("differences", [])]
            elif o.get("first_match"):
                parts.append(f"  first match: {o['first_match']}")
        findings = self.findings()
        if not any(o.get("nearest") or o.get("first_match") for o in res.get("expectations", [])):
            if findings:
                parts.append("  no metric arrived: Telegraf would have rejected what did (below)")
            else:
                parts.append("  nothing arrived: is the sender sending to " + ", ".join(self.addrs_list) + "?")
        if findings:
            parts.append("")
            parts.append(f"fakegraf found {len(findings)} problem(s) in what the sender sent, which may be why:")
            parts.append("")
            parts.append(self._describe(findings))
        raise AssertionError("\n".join(parts))

    def reset(self) -> None:
        """Forget what arrived (POST /api/v1/reset), for the next step."""
        request_json("POST", self.api + "/api/v1/reset", {})
        request_json("POST", self.api + "/recording", {"recording": True})

    def golden(self, path: Union[str, os.PathLike], *, ignore_tags: Optional[Sequence[str]] = None,
               ignore_fields: Sequence[str] = (), ignore_timestamps: bool = False,
               float_tolerance: float = 0.0) -> None:
        """Compare what arrived with the golden file at path, as
        ``fakegraf run --golden`` does (same format and options; tags in
        ignore_tags, default host, are left out). With ``pytest
        --fakegraf-update`` it writes the file instead."""
        __tracebackhide__ = True
        p = Path(path)
        exists = p.exists()
        body: Dict[str, Any] = {
            "golden": p.read_text() if exists else "",
            "ignore_fields": list(ignore_fields),
            "ignore_timestamps": ignore_timestamps,
            "float_tolerance": float_tolerance,
            "update_hint": "pytest --fakegraf-update",
        }
        if ignore_tags is not None:
            body["ignore_tags"] = list(ignore_tags)
        res = request_json("POST", self.api + "/api/v1/golden", body)
        if not res["complete"]:
            raise AssertionError(f"golden file {p}: {res['message']}")
        if self._update:
            p.write_text(res["actual"])
            return
        if not exists:
            raise AssertionError(f"golden file {p} does not exist: run pytest --fakegraf-update once to create it, then review and commit it")
        if not res["ok"]:
            raise AssertionError(f"golden file {p}: {res['message']}\n{res['diff']}")

    # ---- helpers

    def _get(self, path: str, query: Sequence[tuple]) -> Dict[str, Any]:
        qs = urllib.parse.urlencode(query)
        return request_json("GET", self.api + path + ("?" + qs if qs else ""))

    def _describe(self, findings: Sequence[Mapping[str, Any]], most: int = 10) -> str:
        """Findings as fakegraf's text report says them, with their record."""
        out: List[str] = []
        shown = set()
        for f in findings[:most]:
            src = f.get("source", {})
            where = src.get("listener", "")
            if src.get("record"):
                where += f" record {src['record']}"
            pos = f.get("position") or {}
            if pos.get("line"):
                where += f" at {pos['line']}:{pos['column']}"
            out.append(f"{f['severity']}[{f['rule']}] {where}: {f['message']}")
            rid = f.get("record_id")
            if rid not in shown:  # a record with several findings: its bytes once
                shown.add(rid)
                data = self._record_data(rid)
                if data is not None:
                    out.append(f"  record: {data}")
            out += [f"  fix: {_in_fixture_terms(fix)}" for fix in f.get("fixes", [])]
        if len(findings) > most:
            out.append(f"... and {len(findings) - most} more (fg.findings() has every one)")
        return "\n".join(out)

    def _record_data(self, record_id: Optional[int]) -> Optional[str]:
        if not record_id:
            return None
        try:
            rec = request_json("GET", f"{self.api}/api/v1/records/{record_id}")["record"]
        except FakegrafError:
            return None  # no longer kept: the finding says enough
        data = json.dumps(rec.get("data", ""), ensure_ascii=False)
        return data if len(data) <= 200 else data[:199] + "…"


def find_binary() -> str:
    """FAKEGRAF_BIN, else fakegraf on PATH; a clear error when neither."""
    env = os.environ.get("FAKEGRAF_BIN")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise FakegrafError(f"FAKEGRAF_BIN={env} is not an executable file: point it at the fakegraf binary, or unset it to use fakegraf on PATH; to get one, {INSTALL_HINT}")
        return env
    found = shutil.which("fakegraf")
    if found is None:
        raise FakegrafError(f"the fakegraf binary is neither in FAKEGRAF_BIN nor on PATH: {INSTALL_HINT}")
    return found


def cli_flags(flags: Mapping[str, Any]) -> List[str]:
    """Keyword arguments as fakegraf's flags: data_format="json" is
    --data-format json, True a bare flag, a list comma separated,
    set={"k": "v"} is --set k=v."""
    args: List[str] = []
    for key, value in flags.items():
        if key == "set":
            for k, v in dict(value).items():
                args += ["--set", f"{k}={v}"]
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False or value is None:
            continue
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


_API_LINE = re.compile(r"^api on (\S+)$", re.M)


def wait_started(proc: "subprocess.Popen[bytes]", err: Path) -> str:
    """Wait for fakegraf's documented stderr lines: `api on URL`, then a
    `listening on URL` per socket once every socket is bound. Returns the
    API's URL."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        text = err.read_text(errors="replace")
        m = _API_LINE.search(text)
        if m and re.search(r"^listening on ", text, re.M):
            return m.group(1)
        if proc.poll() is not None:
            raise FakegrafError(f"fakegraf exited with status {proc.returncode} before it listened:\n{text.strip()}")
        if time.monotonic() > deadline:
            stop_process(proc)
            raise FakegrafError(f"fakegraf did not say it listens within {START_TIMEOUT:g}s; its stderr:\n{text.strip()}")
        time.sleep(0.02)  # polling a file: fakegraf writes it, nothing to block on


def stop_process(proc: "subprocess.Popen[bytes]") -> None:
    """SIGINT, as Ctrl-C, so that fakegraf prints its summary; killed when
    it has not ended after STOP_TIMEOUT."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def request_json(method: str, url: str, body: Optional[Any] = None, timeout: float = 10.0) -> Dict[str, Any]:
    """One API call; the API's own error message when it refuses."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        try:
            msg = json.loads(e.read()).get("error", "")
        except ValueError:
            msg = ""
        raise FakegrafError(f"{method} {url}: {e.code} {msg or e.reason}") from None
    except urllib.error.URLError as e:
        raise FakegrafError(f"{method} {url}: {e.reason} (has fakegraf stopped?)") from None


_FLOATS = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}


def to_python(m: Mapping[str, Any]) -> Dict[str, Any]:
    """A metric of /api/v1/metrics in Python types. The API writes
    integers as exact JSON numbers, which json.loads reads as exact ints
    (beyond 2**53 too); a float such as 10.0 may be written as 10, so
    field_types says which is which."""
    types = m.get("field_types", {})
    fields: Dict[str, Any] = {}
    for k, v in m["fields"].items():
        t = types.get(k)
        if t == "float":
            fields[k] = _FLOATS[v] if isinstance(v, str) else float(v)
        elif t in ("int", "uint"):
            fields[k] = int(v)
        else:
            fields[k] = v
    return {"name": m["name"], "tags": dict(m.get("tags", {})), "fields": fields, "time": int(m["time_ns"])}
