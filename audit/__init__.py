"""QA domain: sampling, blind audits, scoring, agreement and reports.

May read review tables; never imports Qt, ``ui`` or ``desktop``.
"""
