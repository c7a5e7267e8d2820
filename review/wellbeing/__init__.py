"""Wellbeing: breaks before they are needed, a daily budget for severe content, private check-ins.

Everything here is Qt-free and driven by an injected clock, so it is exact
under a ``FakeClock``; the SQL is in ``review.store.wellbeing``. One job per
module, bottom up:

``durations``  milliseconds between moments, the day of a moment, "1 h 10" for people
``policy``     the organisation's rules (``WellbeingPolicy``), their ranges, load and save
``exposure``   measuring one item's time on screen, blurred and revealed (``ExposureTracker``)
``coach``      the prompt-escalation state machine (``BreakCoach``)
``breaks``     a break in progress as a rule: no claim until it is served (``OnBreak``)
``budget``     the daily severe budget, a lead's lifts and the serving rule
``meter``      what the always-visible meter shows (``MeterState``)
``resume``     today's counters and an open prompt rebuilt from the ledger, so a restart resets nothing
``session``    one person's session, the wellbeing desk (``WellbeingSession``)
``checkins``   the private "how are you" and the lead's pooled view of it
``lead_view``  a person's day of exposure, for leads and for the person

Nothing is re-exported here: import from the module that does the job.
"""
