"""Qt widgets, views and item models for Veil.

Everything here receives what it needs (users, load functions, a
``QSettings``, a :class:`ui.tasks.TaskRunner`) as constructor arguments: no
module in ``ui`` opens the database, reads a settings file or knows where
files live; ``desktop`` composes them.  Slow work goes through
:class:`ui.tasks.TaskRunner`, never the GUI thread.
"""
