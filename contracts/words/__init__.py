"""The domain words every reader shows, in Chinese (first) and English, by family.

Each code the system writes (an event type, an obligation kind, an alert kind, a reason code,
a campaign check or result, an agreement's state, a side of the assessment) is named here
once, in the words a county or city office uses. The dashboard serves these tables to the
browser (``/api/words``), the bulletin and the public page print them, and a code with no
entry is shown as itself. The obligation counts and what a score counts ("settled") keep
their words in :mod:`contracts.obligation_vocabulary`.
"""
