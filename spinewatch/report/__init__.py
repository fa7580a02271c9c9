"""The therapist's daily movement report (``spinewatch report``).

One module per concept: :mod:`~spinewatch.report.model` (the frozen data a page
shows), :mod:`~spinewatch.report.load_analysis` (a patient-day from a
``spinewatch analyze`` folder), :mod:`~spinewatch.report.sources` (where days come
from: the seam for the local store; the clinic's names file),
:mod:`~spinewatch.report.findings` (plain-language findings, pure functions),
:mod:`~spinewatch.report.plots` (matplotlib PNGs), :mod:`~spinewatch.report.html`
(self-contained HTML with print CSS), :mod:`~spinewatch.report.pdf` (headless
Chromium) and :mod:`~spinewatch.report.build` (pages, clinic summary, output file).
"""
