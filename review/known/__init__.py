"""Known content handled once: hash lists, cases of reports of one content, routing rules and audited automation.

Each module here decides something about items from what the team already knows of their content; what
they do to new items happens inside the import's transaction, in the order :mod:`review.known.intake` says.
"""
