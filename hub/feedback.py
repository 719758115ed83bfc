"""What nbgrader's HTML pages (feedback, formgrader's submission view) add to nbconvert's stylesheet: output and
error text wraps at the page width, so a failure message reads whole at 1,000 px instead of running off as one
long line in a box that scrolls sideways.

Also nbgrader's ClearHiddenTests for feedback, without its false alarm. Both are named in nbgrader_config.py
(`HTMLExporter.preprocessors`, `GenerateFeedback.preprocessors`), which the hub's course configuration copies."""

from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests as StockClearHiddenTests
from traitlets import List

# Classic template markup: <div class="output_subarea output_text output_error"><pre>...</pre></div>.
WRAP_OUTPUT_CSS = """
div.output_area pre, div.output_subarea pre, div.output_text pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  word-break: break-word;
}
div.output_subarea {
  max-width: 100%;
  overflow-x: visible;
}
"""


class WrappingCSSHTMLHeader(CSSHTMLHeaderPreprocessor):
    """nbconvert's CSS header (pygments highlighting) plus WRAP_OUTPUT_CSS."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        resources["inlining"]["css"].append(WRAP_OUTPUT_CSS)
        return nb, resources


class ClearHiddenTests(StockClearHiddenTests):
    """nbgrader's ClearHiddenTests, quiet. nbconvert's HTML exporter configures `NbConvertBase.display_data_priority`
    for every preprocessor; nbgrader's have the trait but do not declare it configurable, so each Generate Feedback
    logged "Config option `display_data_priority` not recognized by `ClearHiddenTests`" first thing."""

    display_data_priority = List(StockClearHiddenTests.display_data_priority.default_value).tag(config=True)
