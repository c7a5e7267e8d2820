"""Who may do what in QA, checked in the domain rather than hidden in the GUI.

Every audit function takes the acting person (a ``User`` or a user name)
and re-reads their roles from the store, so a role removed a minute ago no
longer works, whatever a long-open window still holds. A refusal is a
``PermissionError`` whose message says who lacks what. The rule is the
review domain's (``review.auth``); QA uses it as is.
"""

from review.auth import require, resolve

__all__ = ["require", "resolve"]
