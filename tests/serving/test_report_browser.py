"""The comparison report opened in real headless Chromium: renders, has every section, looks right.

Needs Debian's ``chromium`` package; the screenshot is kept as a test artifact in
``test-artifacts/report.png`` (git-ignored) so a reviewer can look at it.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from report_example import example_inputs

from serving.report import build_report, write_report

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "test-artifacts" / "report.png"
SECTION_IDS = (
    "summary", "roc", "gains", "calibration", "bands", "capacity", "blend", "disagreement",
    "rule-evidence", "suggested-points", "backtest", "drift", "segments", "data-notes",
)  # fmt: skip
ERROR_TEXT = re.compile(r"Traceback|UndefinedError|Internal Server Error|\bnan\b|\bNone\b")


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr",
        "--log-level=0", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("install Debian's chromium (apt-get install chromium) — .ci/run does")
    report = build_report(example_inputs(n_leads=300, seed=0))
    return write_report(report, tmp_path_factory.mktemp("browser") / "report.html")


def test_report_renders_every_section_without_errors(report_file: Path, tmp_path: Path) -> None:
    result = _chromium(tmp_path / "profile", "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    for section_id in SECTION_IDS:
        assert f'id="{section_id}"' in dom, section_id
    assert dom.count("How to read this:") == len(SECTION_IDS) - 1
    assert dom.count("data:image/png;base64,") >= 6
    assert ERROR_TEXT.search(dom) is None, ERROR_TEXT.search(dom)
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # no script errors, no blocked resources


def test_report_screenshot_is_saved_as_an_artifact(report_file: Path, tmp_path: Path) -> None:
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.unlink(missing_ok=True)
    result = _chromium(
        tmp_path / "profile", f"--screenshot={ARTIFACT}", "--window-size=1366,768",
        report_file.as_uri(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    data = ARTIFACT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1366, 768)
    assert len(data) > 20_000  # a blank page compresses to a few kB
