"""Headless Chromium and pdftoppm helpers for the report tests (skip when absent)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spinewatch.report.pdf import chromium_command, find_browser

BOXES_SCRIPT = """<script>
addEventListener('load', () => {
  const boxes = [...document.querySelectorAll('img.plot')].map(i => {
    const r = i.getBoundingClientRect();
    const page = i.closest('section').getBoundingClientRect();
    return {plot: i.dataset.plot, x: r.left, y: r.top + scrollY, w: r.width, h: r.height,
            page_bottom: page.bottom + scrollY, loaded: i.complete && i.naturalWidth > 0};
  });
  document.body.setAttribute('data-boxes', JSON.stringify(boxes));
});
</script>"""


def need_chromium() -> str:
    browser = find_browser()
    if browser is None:
        pytest.skip("headless chromium is not installed (apt-get install chromium)")
    return browser


def need_pdftoppm() -> str:
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    return tool


def _chromium(*args: str) -> str:
    browser = need_chromium()
    with tempfile.TemporaryDirectory() as profile:
        cmd = chromium_command(browser, Path(profile), "--force-device-scale-factor=1", *args)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def plot_boxes(html_path: Path, width_px: int, tmp: Path) -> list[dict[str, float]]:
    """Where each plot image is on the page (CSS px), from the rendered DOM."""
    probe = tmp / "probe.html"
    probe.write_text(html_path.read_text().replace("</body>", BOXES_SCRIPT + "</body>"))
    dom = _chromium(
        f"--window-size={width_px},1200",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.as_uri(),
    )
    m = re.search(r'data-boxes="([^"]*)"', dom)
    assert m, "the page did not report its plots"
    boxes: list[dict[str, float]] = json.loads(m.group(1).replace("&quot;", '"'))
    return boxes


def screenshot(html_path: Path, png: Path, width_px: int, height_px: int) -> np.ndarray:
    """A screenshot of the page as a grey image array (H, W), 0 black to 255 white."""
    _chromium(f"--window-size={width_px},{height_px}", f"--screenshot={png}", html_path.as_uri())
    return np.asarray(Image.open(png).convert("L"), dtype=np.float64)


def pdf_pages(pdf: Path, tmp: Path, dpi: int = 40) -> list[np.ndarray]:
    """Each page of ``pdf`` as a grey image array (pdftoppm)."""
    tool = need_pdftoppm()
    subprocess.run(
        [tool, "-r", str(dpi), "-gray", "-png", str(pdf), str(tmp / "page")],
        check=True,
        timeout=120,
    )
    return [
        np.asarray(Image.open(p).convert("L"), dtype=np.float64)
        for p in sorted(tmp.glob("page-*.png"))
    ]


def ink(img: np.ndarray) -> float:
    """Fraction of pixels that are not (near) white."""
    return float((img < 200).mean())
