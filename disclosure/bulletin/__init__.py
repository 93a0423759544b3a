"""The period's bulletin (通报): a document a regional office issues, computed from the log.

A bulletin is a pure function of the log up to stated positions and of the weight file:
:mod:`disclosure.bulletin.log_fold` folds the records read (:mod:`disclosure.bulletin.log_reader`),
:mod:`disclosure.bulletin.content` computes every figure through the assessment's own pure
functions, :mod:`disclosure.bulletin.render` writes the HTML (charts from
:mod:`disclosure.bulletin.charts`), :mod:`disclosure.bulletin.pdf` prints it with Chromium, and
:mod:`disclosure.bulletin.verify` recomputes a document from the inputs it states.
"""
