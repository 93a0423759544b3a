"""The period's bulletin (通报): a document a regional office issues, computed from the log.

A bulletin is a pure function of the log up to stated positions and of the weight file:
:mod:`streams.bulletin.log_fold` folds the records read (:mod:`streams.bulletin.log_reader`),
:mod:`streams.bulletin.content` computes every figure through the assessment's own pure
functions, :mod:`streams.bulletin.render` writes the HTML (charts from
:mod:`streams.bulletin.charts`), :mod:`streams.bulletin.pdf` prints it with Chromium, and
:mod:`streams.bulletin.verify` recomputes a document from the inputs it states.
"""
