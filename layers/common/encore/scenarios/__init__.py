"""One module per scenario: its settings model, its start rules (when a store event starts
its journey, and with what input: timings from the store's settings, products from the
catalogue) and its ``SCENARIO`` declaration (``spec.Scenario``: name, number and title,
templates, exit rules, priority and staleness). ``registry`` lists them all; the state
machine in ``statemachines/<scenario>.asl.json`` does the rest."""
