"""Encore's shared layer: domain logic, storage models, adapters and message templates.

Handlers in ``functions/`` stay thin and call exactly one function from here.
"""
