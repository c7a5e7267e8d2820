"""DSA compliance: statements of reasons for the EU Transparency Database, from the decisions Veil records.

``enums`` and ``rules`` are the database's own values and validation;
``mapping`` is the lead's mapping from labels, actions, item kinds, report
sources and deciders to its fields; ``puid`` names each statement;
``statements`` builds one and says it to the person it concerns; ``export``
writes a period's batch files. See docs/statements.md.
"""
