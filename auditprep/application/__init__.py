"""The use cases, one place for each thing a person does with auditprep.

The command line (``auditprep.cli``) and the assistant (``auditprep.tui``) are two faces over this
layer: each turns input into a call here and presents what comes back. The layer calls down into
the core (catalog, store, collectors, checks, verdicts, reports) and never up into a face.
"""
