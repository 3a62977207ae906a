"""Static files for slow phones (issue 17, item 5): once `carenet serve` has collected them
(carenet.server.static_collect), pages name hashed files, served brotli- or gzip-compressed
as the browser asks and cached for a year; before that, plain names that still work; the
chart library only on the page with charts, and built with every part dashboard.js uses."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import brotli
import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import override_settings
from django.urls import reverse

from carenet.server import static_collect

ROOT = Path(__file__).resolve().parent.parent
ECHARTS = "vendor/echarts/echarts.min"
HASHED = re.compile(r'(?:src|href)="(/static/[^"]+\.[0-9a-f]{12}\.(?:js|css|svg|png))"')


@pytest.fixture(scope="module")
def collected_once(tmp_path_factory):
    """The static files collected as `carenet serve` does (once: ~5 s), into a folder of
    this module."""
    root = tmp_path_factory.mktemp("collected")
    with override_settings(STATIC_ROOT=root):
        static_collect()
    return root


@pytest.fixture
def collected(collected_once, settings):
    settings.STATIC_ROOT = collected_once
    return collected_once


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_collected_pages_name_hashed_files_cached_for_a_year_and_compressed(
    collected, client, world
):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("home")).content.decode()
    hashed = HASHED.findall(html)
    assert any("/carenet/app." in url for url in hashed), html
    assert set(hashed) == set(_static_urls(html)), "a page names an unhashed file"

    script = next(url for url in hashed if "/vendor/htmx/htmx.min." in url)
    source = Path(finders.find("vendor/htmx/htmx.min.js")).read_bytes()

    response = client.get(script, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=31536000, public, immutable"
    assert response["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response["Vary"]
    assert response["Content-Type"].startswith("text/javascript")
    assert brotli.decompress(_body(response)) == source

    response = client.get(script, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(_body(response)) == source

    response = client.get(script)  # a client that takes no compression
    assert not response.has_header("Content-Encoding")
    assert _body(response) == source
    assert response["Cache-Control"] == "max-age=31536000, public, immutable"


def test_a_plain_name_is_still_served_but_cached_for_a_minute_only(collected, client):
    response = client.get("/static/carenet/app.css", HTTP_ACCEPT_ENCODING="br")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60, public"
    _body(response)


def test_a_file_missing_from_the_manifest_keeps_its_plain_name_instead_of_a_500(collected):
    assert staticfiles_storage.url("carenet/app.css") != "/static/carenet/app.css"
    assert staticfiles_storage.url("carenet/added-after.css") == "/static/carenet/added-after.css"


def test_before_any_collection_pages_name_the_plain_files(client, world, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    client.force_login(world.user("teacher"))
    html = client.get(reverse("home")).content.decode()
    assert "/static/carenet/app.css" in html
    response = client.get("/static/carenet/app.css")
    assert response.status_code == 200
    _body(response)


def test_a_second_start_compresses_only_what_changed(collected):
    compressed = next(collected.glob("vendor/echarts/echarts.min.*.js.br"))
    before = compressed.stat().st_ino
    static_collect()
    assert compressed.stat().st_ino == before  # not written again
    assert not list(collected.rglob("*.partial"))


def test_a_pdf_finds_its_hashed_stylesheet(collected):
    from carenet.reports.pdf import render_pdf

    assert "register_print." in staticfiles_storage.url("exchange/register_print.css")
    content = render_pdf("exchange/register_pdf.html", {"title": "花名册", "pages": []})
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout.decode())
    width, height = map(float, size.groups())
    assert width > height  # the register's stylesheet (A4 landscape) was applied


def test_only_the_dashboard_loads_the_chart_library(client, world):
    client.force_login(world.user("county_admin"))
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f"/static/{ECHARTS}.js" in dashboard
    for page in ("home", "dashboard_indicators"):
        html = client.get(reverse(page)).content.decode()
        assert "echarts" not in html, page
    client.force_login(world.user("teacher"))
    for path in ("/", "/children/", "/care/tasks/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "echarts" not in response.content.decode(), path


# Chart types and option keys of ECharts that need a part imported into the custom build.
CHART_TYPES = {"bar", "line", "pie", "scatter", "effectScatter", "radar", "tree", "treemap"}
CHART_TYPES |= {"sunburst", "map", "graph", "gauge", "funnel", "parallel", "sankey"}
CHART_TYPES |= {"boxplot", "candlestick", "heatmap", "pictorialBar", "themeRiver", "custom"}
COMPONENTS = {
    "grid": "GridComponent",
    "xAxis": "GridComponent",
    "tooltip": "TooltipComponent",
    "legend": "LegendComponent",
    "title": "TitleComponent",
    "dataset": "DatasetComponent",
    "markLine": "MarkLineComponent",
    "markPoint": "MarkPointComponent",
    "markArea": "MarkAreaComponent",
    "dataZoom": "DataZoomComponent",
    "visualMap": "VisualMapComponent",
    "toolbox": "ToolboxComponent",
    "graphic": "GraphicComponent",
    "polar": "PolarComponent",
    "calendar": "CalendarComponent",
    "timeline": "TimelineComponent",
    "brush": "BrushComponent",
    "aria": "AriaComponent",
    "hideOverlap": "LabelLayout",
    "labelLayout": "LabelLayout",
}


def test_the_custom_chart_library_has_every_part_the_dashboard_uses():
    script = (ROOT / "carenet/dashboards/static/dashboards/dashboard.js").read_text()
    entry = (ROOT / "scripts/echarts/entry.js").read_text()
    used = set(re.findall(r"\btype:\s*[\"'](\w+)[\"']", script)) & CHART_TYPES
    assert used, "no chart type found in dashboard.js"
    for chart in used:
        assert f"{chart[0].upper()}{chart[1:]}Chart" in entry, chart
    for key, part in COMPONENTS.items():
        if re.search(rf"\b{key}\s*:", script):
            assert part in entry, f"dashboard.js uses {key}: add {part} to scripts/echarts/entry.js"
    built = Path(finders.find(f"{ECHARTS}.js")).read_text()
    assert built.startswith("/*! Apache ECharts 6.1.0") and "scripts/echarts/build" in built[:400]
    licences = Path(finders.find(f"{ECHARTS}.js")).parent
    assert {"LICENSE", "NOTICE", "LICENSE-zrender", "LICENSE-d3"} <= {
        path.name for path in licences.iterdir()
    }


def test_a_page_comes_gzipped_to_a_browser_that_takes_it(client, world):
    client.force_login(world.user("county_admin"))
    plain = client.get(reverse("dashboard"))
    assert not plain.has_header("Content-Encoding")
    response = client.get(reverse("dashboard"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "dashboard-data" in html and len(response.content) < len(html.encode()) / 3


def test_files_compressed_already_and_streams_pass_untouched(rf):
    from django.http import HttpResponse, StreamingHttpResponse

    from carenet.lib.compression import TextGZipMiddleware

    request = rf.get("/", HTTP_ACCEPT_ENCODING="gzip")
    answers = [
        HttpResponse(b"PK" * 1000, content_type="application/vnd.ms-excel"),
        HttpResponse(b"\xff\xd8" * 1000, content_type="image/jpeg"),
        StreamingHttpResponse(iter([b"data: 1\n\n" * 100]), content_type="text/event-stream"),
    ]
    for answer in answers:
        assert not TextGZipMiddleware(lambda r, a=answer: a)(request).has_header("Content-Encoding")
    text = HttpResponse("表" * 1000, content_type="text/csv; charset=utf-8")
    assert TextGZipMiddleware(lambda r: text)(request)["Content-Encoding"] == "gzip"


def test_the_service_worker_keeps_the_hashed_files_the_pages_name(collected, client, world):
    """/sw.js (carenet.web.offline) precaches by the URLs the pages use: hashed once
    collected, so a new deployment is a new worker text and the browser installs it."""
    script = client.get("/sw.js").content.decode()
    named = re.findall(r'"(/static/[^"]+)"', script)
    assert any("/carenet/offline." in url for url in named)
    assert named and all(re.search(r"\.[0-9a-f]{12}\.\w+$", url) for url in named), named
    client.force_login(world.user("teacher"))
    page = client.get(reverse("home")).content.decode()
    offline_js = next(url for url in named if "/carenet/offline." in url)
    assert offline_js in page
