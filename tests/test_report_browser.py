"""The report in real headless Chromium: no console errors, no network, the table sorts and filters.

Needs Debian's chromium and chromium-driver (.ci/run installs them); skipped
with the reason when they are missing. The screenshot is saved next to the
test's temp files and its path printed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli

HOSTILE = [
    '<script>document.title="pwned"</script>',
    "<img src=x onerror=\"document.title='pwned'\">",
    '<a href="javascript:alert(1)">click</a>',
    "</textarea><b>bold</b>",
    '=HYPERLINK("http://evil.example","x") listen',
]


def _driver():  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1200,2000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver), options=options)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert run_cli("demo", "-o", str(out)).exit_code == 0
    db = out / "demo.duckdb"
    hostile = out / "hostile.csv"
    rows = "".join(
        f'h{i},"{t.replace(chr(34), chr(34) * 2)}",{100 + i},@evil_{i}\n'
        for i, t in enumerate(HOSTILE)
    )
    hostile.write_text("id,text,likes,author\n" + rows, encoding="utf-8")
    assert run_cli("--db", str(db), "import", str(hostile), "--platform", "x").exit_code == 0
    assert run_cli("--db", str(db), "tag").exit_code == 0
    result = run_cli("--db", str(db), "report", "-o", str(out / "report.html"))
    assert result.exit_code == 0, result.output
    return out / "report.html"


def test_report_in_headless_chromium(report: Path) -> None:
    import json

    driver = _driver()
    try:
        driver.get(report.as_uri())
        # The demo gave the store its title; a later report without --title keeps it.
        assert driver.title.startswith("What kind of leadership do our public services need?")
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], severe
        requests = []
        for entry in driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                requests.append(msg["params"]["request"]["url"])
        off_file = [u for u in requests if not u.startswith(("file:", "data:"))]
        assert off_file == [], off_file
        table = driver.find_element("id", "replies-table")
        rows = table.find_elements("css selector", "tbody tr")
        assert len(rows) > 500

        def visible_likes() -> list[int]:
            return [
                int(r.find_element("css selector", "td").text)
                for r in table.find_elements("css selector", "tbody tr")
                if r.is_displayed()
            ]

        header = table.find_element("css selector", "th[data-sort='num']")
        header.click()  # ascending
        ascending = visible_likes()
        assert ascending == sorted(ascending)
        header.click()  # descending
        assert visible_likes() == sorted(ascending, reverse=True)
        search = driver.find_element("id", "replies-search")
        search.send_keys("pizza")
        shown = [r for r in table.find_elements("css selector", "tbody tr") if r.is_displayed()]
        assert 0 < len(shown) < 10 and all("pizza" in r.text.lower() for r in shown)
        # No hostile script ran (it would have changed the title).
        assert driver.title.startswith("What kind of leadership do our public services need?")
        shot = report.with_suffix(".png")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(shot))
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()


def test_hostile_text_is_inert(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "<script>document.title" not in html
    assert "<img src=x onerror" not in html
    assert 'href="javascript:' not in html
    assert "</textarea><b>" not in html
    assert "&lt;script&gt;document.title" in html
    assert "evil_" not in html  # author handles are pseudonymised


def test_report_is_self_contained(report: Path) -> None:
    import re

    html = report.read_text(encoding="utf-8")
    for attr in re.findall(r'(?:src|href)="([^"#][^"]*)"', html):
        assert attr.startswith("data:"), attr
    assert "<link" not in html and "@import" not in html
    assert "Content-Security-Policy" in html
    assert report.stat().st_size < 10_000_000
