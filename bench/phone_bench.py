"""Phone benchmark (issue 17, item 5): the teacher's first screen and the county dashboard
on a throttled phone profile, a first visit and a returning one.

    python bench/phone_bench.py                 # after: hashed, compressed, custom ECharts
    python bench/phone_bench.py --before        # and before, in the same run
    python bench/phone_bench.py --before --runs 7 --append

Builds (or reuses) the demo county (``carenet demo --no-serve``) in its own CARENET_HOME
(/tmp/carenet-phone-bench-…), starts the production server (``carenet serve``, which collects
the static files) on a free port, and opens the pages in Debian's Chromium (Playwright) on a
390×844 phone screen with Chromium's Slow 3G preset (CDP Network.emulateNetworkConditions:
2,000 ms latency, 50,000 B/s down and up — DevTools' NetworkManager.ts, 400 kbit/s × 0.8 and
400 ms × 5) and a 4× CPU slowdown (Emulation.setCPUThrottlingRate). Signed in unthrottled
through the login form's POST (no page, so no asset, is loaded), it measures:

- ``first visit``: an empty browser cache;
- ``returning``: the same page opened again at once, the cache primed by the first visit.

Each from navigation start, the median of ``--runs``: first contentful paint, ``ready``
(the teacher: DOMContentLoaded, every deferred script run; the dashboard: every chart drawn,
.cn-chart-drawn on each [data-chart]) and the load event; and the bytes transferred.

``--before`` also serves the same database as it was before issue 17: pages not gzipped,
static files under their plain names, uncompressed, cached 60 s, and the full ECharts 6.1.0
(1.1 MB, taken from git history), through a settings module written into the bench's
home. Its returning visit comes within 60 s of the first, so its files are still fresh; a
day later each one costs a revalidation (one more 2 s round trip before the load event).

``--append`` adds the figures, the commands and the load average to docs/benchmarks.md.
Not part of the test suite (a run takes a few minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "carenet-demo"
# The full ECharts 6.1.0 as vendored before the custom build (commit 5bd2492).
FULL_ECHARTS = ("5bd2492", "carenet/web/static/vendor/echarts/echarts.min.js")
SLOW_3G = {
    "offline": False,
    "latency": 400 * 5,  # ms, from request sent to response headers received
    "downloadThroughput": 500 * 1000 / 8 * 0.8,  # bytes/s (400 kbit/s)
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
CPU_SLOWDOWN = 4
PAGES = (  # label, user, path, target in ms
    ("teacher's first screen", "teacher", "/", 3000),
    ("county dashboard", "county_admin", "/dashboard/", 5000),
)
# Runs in every page before its own scripts: the time every chart is drawn (or, on a page
# without charts, DOMContentLoaded: the deferred scripts have run).
READY_PROBE = """
window.__ready = null;
document.addEventListener("DOMContentLoaded", () => {
  const charts = Array.from(document.querySelectorAll("[data-chart]"));
  const check = () => {
    if (window.__ready === null && charts.every((c) => c.classList.contains("cn-chart-drawn"))) {
      window.__ready = performance.now();
    }
  };
  const observer = new MutationObserver(check);
  charts.forEach((c) => observer.observe(c, { attributes: true, attributeFilter: ["class"] }));
  check();
});
"""
MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    fcp: paint ? paint.startTime : null,
    ready: window.__ready,
    load: nav.loadEventEnd,
    html: nav.responseEnd,
    bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
    requests: 1 + resources.filter((r) => r.transferSize > 0).length,
    charts: document.querySelectorAll("[data-chart]").length,
  };
}"""


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=2000, help="demo children (2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs per page and visit (5)")
    parser.add_argument("--before", action="store_true", help="also measure before issue 17")
    parser.add_argument("--no-throttle", action="store_true", help="no network or CPU throttle")
    parser.add_argument("--append", action="store_true", help="append to docs/benchmarks.md")
    return parser.parse_args()


def _env(home: Path, settings: str | None = None, path: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CARENET_"))}
    env["CARENET_HOME"] = str(home)
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return env


def demo_build(args: argparse.Namespace) -> Path:
    home = Path(f"/tmp/carenet-phone-bench-{args.children}-{args.seed}")
    home.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "carenet.cli", "demo", "--no-serve", "--password", PASSWORD]
        + ["--children", str(args.children), "--seed", str(args.seed)],
        cwd=ROOT,
        env=_env(home),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo county ready in {home} ({time.monotonic() - started:.0f} s)", flush=True)
    return home


def before_settings(home: Path) -> Path:
    """A settings module for the state before issue 17: plain, uncompressed static files
    and the full ECharts (a static folder found before the apps' own)."""
    folder = home / "before"
    echarts = folder / "static" / "vendor" / "echarts" / "echarts.min.js"
    echarts.parent.mkdir(parents=True, exist_ok=True)
    rev, path = FULL_ECHARTS
    echarts.write_bytes(
        subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True
        ).stdout
    )
    (folder / "phone_before_settings.py").write_text(
        "from carenet.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = Path({str(folder / 'collected')!r})  # noqa: F405\n"
        "STATIC_ROOT.mkdir(exist_ok=True)\n"
        f"STATICFILES_DIRS = [{str(folder / 'static')!r}]\n"
        'STORAGES = {**STORAGES, "staticfiles": {"BACKEND": '  # noqa: F405
        '"django.contrib.staticfiles.storage.StaticFilesStorage"}}\n'
        "WHITENOISE_ADD_HEADERS_FUNCTION = None\n"
        'MIDDLEWARE = [m for m in MIDDLEWARE if not m.endswith("TextGZipMiddleware")]\n'
    )
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(home: Path, before: Path | None) -> Iterator[str]:
    """`carenet serve` (static files collected at start), in a process group of its own."""
    port = _free_port()
    env = _env(home, "phone_before_settings", before) if before else _env(home)
    log = open(home / ("server-before.log" if before else "server.log"), "ab")  # noqa: SIM115
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "carenet.cli", "serve", "--port", str(port), "--workers", "2"]
        + ["--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited; see {log.name}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            if time.monotonic() - started > 180:
                raise SystemExit("the server did not answer /healthz in 3 minutes")
            time.sleep(0.3)
        print(f"server up at {base} in {time.monotonic() - started:.1f} s", flush=True)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _log_in(context, base: str, username: str) -> None:
    """Signed in through the login form's POST, without loading a page (the cache stays
    empty)."""
    page = context.request.get(base + "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text()).group(1)
    answer = context.request.post(
        base + "/login/",
        form={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        headers={"Referer": base + "/login/"},
        max_redirects=0,
    )
    if answer.status != 302:
        raise SystemExit(f"could not sign in as {username}: HTTP {answer.status}")


def _visit(tab, url: str) -> dict:
    tab.goto(url, wait_until="load", timeout=120_000)
    tab.wait_for_function("window.__ready !== null", timeout=120_000)
    return tab.evaluate(MEASURE)


def measure(playwright, base: str, args: argparse.Namespace) -> dict[str, dict[str, list]]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    results: dict[str, dict[str, list]] = {}
    try:
        for label, username, path, _target in PAGES:
            results[label] = {"first visit": [], "returning": []}
            for _run in range(args.runs):
                # Service workers blocked: CDP's network throttling applies to the page's
                # own requests, not to those a service worker makes for it (the offline
                # worker's network-first fetch of the page would skip the slow network).
                context = browser.new_context(
                    viewport={"width": 390, "height": 844},
                    locale="zh-CN",
                    is_mobile=True,
                    service_workers="block",
                )
                context.add_init_script(READY_PROBE)
                _log_in(context, base, username)
                tab = context.new_page()
                tab.goto(base + "/healthz")  # this origin's renderer, before throttling it
                cdp = context.new_cdp_session(tab)
                cdp.send("Network.enable")
                cdp.send("Network.clearBrowserCache")
                if not args.no_throttle:
                    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
                first = _visit(tab, base + path)
                tab.goto(base + "/healthz")
                again = _visit(tab, base + path)
                if path == "/dashboard/" and not first["charts"]:
                    raise SystemExit("the county dashboard drew no chart")
                results[label]["first visit"].append(first)
                results[label]["returning"].append(again)
                context.close()
                print(
                    f"  {label}: first {first['ready']:.0f}/{first['load']:.0f} ms "
                    f"({first['bytes'] / 1024:.0f} KB), returning {again['ready']:.0f}/"
                    f"{again['load']:.0f} ms ({again['bytes'] / 1024:.0f} KB)",
                    flush=True,
                )
    finally:
        browser.close()
    return results


def _median(values: list) -> float:
    return statistics.median(v for v in values if v is not None) if values else float("nan")


def table(results: dict[str, dict[str, dict[str, dict[str, list]]]], runs: int) -> str:
    lines = [
        "| page | static files | visit | FCP | ready | load event | transferred | requests "
        "| target |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    targets = {label: target for label, _u, _p, target in PAGES}
    for label, _u, _p, _t in PAGES:
        for state, by_page in results.items():
            for visit, samples in by_page[label].items():
                ready = _median([s["ready"] for s in samples])
                load = _median([s["load"] for s in samples])
                met = "met" if max(ready, load) < targets[label] else "missed"
                lines.append(
                    f"| {label} | {state} | {visit} "
                    f"| {_median([s['fcp'] for s in samples]) / 1000:.2f} s "
                    f"| {ready / 1000:.2f} s | {load / 1000:.2f} s "
                    f"| {_median([s['bytes'] for s in samples]) / 1024:.0f} KB "
                    f"| {_median([s['requests'] for s in samples]):.0f} "
                    f"| < {targets[label] / 1000:.0f} s: {met} |"
                )
    lines.append("")
    lines.append(f"Medians of {runs} runs; times from navigation start.")
    return "\n".join(lines)


def main() -> None:
    args = parse()
    from playwright.sync_api import sync_playwright

    home = demo_build(args)
    states: list[tuple[str, Path | None]] = []
    if args.before:
        states.append(("before (plain, full ECharts)", before_settings(home)))
    states.append(("after (hashed, br, custom ECharts)", None))
    results = {}
    load_before = os.getloadavg()
    with sync_playwright() as playwright:
        for state, before in states:
            print(state, flush=True)
            with server(home, before) as base:
                results[state] = measure(playwright, base, args)
    load_after = os.getloadavg()
    report = table(results, args.runs)
    throttle = "none" if args.no_throttle else "Slow 3G (2,000 ms, 50,000 B/s down/up), CPU 4×"
    context = (
        f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Chromium {_chromium_version()}; throttle: {throttle}; load average "
        f"{load_before[0]:.2f} at start, {load_after[0]:.2f} at end (1 min)."
    )
    print()
    print(report)
    print(context)
    if args.append:
        command = "python bench/phone_bench.py " + " ".join(sys.argv[1:])
        with DOCS.open("a") as docs:
            docs.write(f"\n#### Run of {time.strftime('%Y-%m-%d %H:%M')}\n\n`{command}`\n\n")
            docs.write(f"{report}\n\n{context}\n")
        print(f"appended to {DOCS}")


def _chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip().split()[-1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


if __name__ == "__main__":
    main()
