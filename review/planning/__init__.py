"""Operations planning: how many people each queue needs and when its SLA will break (issue 16).

Qt-free and SQL-free: :mod:`review.planning.erlang` is the Erlang C
calculator, :mod:`review.planning.forecast` the per-queue forecast read from
the store through :mod:`review.store.planning`. Method, assumptions and
limits: docs/operations.md.
"""

# The forecast declares the ``shrinkage`` setting: importing the package (serving does, for rotation) makes it
# known to every settings page and ``veil settings``, as a setting exists once its module is imported.
from review.planning import forecast as forecast  # noqa: E402
