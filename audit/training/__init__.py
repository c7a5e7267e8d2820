"""Training and certification (issue 17): courses built from gold items, attempts on the review desk's view,
the certification gate's lead actions, calibration sessions, and what leads see.

One job per module: ``courses`` (a lead builds and changes courses),
``attempts`` (a trainee works a course, with feedback after each item),
``certification`` (gating queues, re-certification on a taxonomy
version), ``sessions`` (calibration sets run as sessions: spread,
agreement with its words, the agreed answer, gold), ``status`` (attempts,
scores, time to certify, the training success rate). The gate rule
itself is review's (``review.certification``): serving never reads audit
tables.
"""
