"""HTML to PDF with headless Chromium (Debian's ``chromium``), offline.

Chromium runs with a fresh profile folder and with background networking,
component updates and sync off, so it makes no outside connection; the HTML
itself references nothing outside the file. The paper size comes from the
page's CSS (``@page { size: A4 }`` or ``letter``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from spinewatch.errors import ReportError

BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome", "chrome")
TIMEOUT_S: Final = 120.0
BROWSER_ENV: Final = "SPINEWATCH_CHROMIUM"


def find_browser() -> str | None:
    """The Chromium executable: ``$SPINEWATCH_CHROMIUM`` or the first of :data:`BROWSERS`."""
    override = os.environ.get(BROWSER_ENV)
    if override:
        return shutil.which(override)
    return next((p for p in (shutil.which(b) for b in BROWSERS) if p), None)


def chromium_command(browser: str, profile_dir: Path, *args: str) -> list[str]:
    """A headless, offline Chromium command line with a fresh profile in ``profile_dir``."""
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile_dir}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        *args,
    ]


def run_chromium(args: list[str], what: str, timeout_s: float = TIMEOUT_S) -> None:
    """Run headless Chromium with ``args`` (after the offline flags) in a fresh profile."""
    browser = find_browser()
    if browser is None:
        raise ReportError(
            "needs Chromium, which is not installed",
            where=what,
            advice="apt-get install chromium, or set SPINEWATCH_CHROMIUM to the browser",
        )
    with tempfile.TemporaryDirectory(prefix="spinewatch-chromium-") as profile:
        cmd = chromium_command(browser, Path(profile), *args)
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ReportError(
                f"Chromium did not finish within {timeout_s:g} s",
                where=what,
                advice="try again; check that chromium runs headless here",
            ) from exc
    if done.returncode != 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise ReportError(
            f"Chromium failed (exit {done.returncode}): {tail[0]}",
            where=what,
            advice="check that chromium runs headless here",
        )


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` to ``pdf_path`` (paper from the page's CSS); returns the PDF path."""
    pdf_path = pdf_path.resolve()
    pdf_path.unlink(missing_ok=True)
    run_chromium(
        ["--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()],
        what=str(pdf_path),
    )
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise ReportError(
            "was not written by Chromium", where=str(pdf_path), advice="check chromium runs here"
        )
    return pdf_path
