"""One module per scenario: when a store event starts that scenario's journey, and with what
input (timings from the store's settings, products from the catalogue). The state machine
in ``statemachines/<scenario>.asl.json`` does the rest."""
