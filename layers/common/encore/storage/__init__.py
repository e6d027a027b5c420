"""Storage: the only code that reads and writes DynamoDB (through PynamoDB).

Each module here is a repository at the level of intent — claim a step, record a send, park,
take or release a wait — with an in-memory fake of the same interface (``fakes*.py``). The
contract suite (``tests/contracts``) runs every repository's behaviour against both the fake and
moto, so domain tests can run on the fakes in milliseconds without the fakes drifting from
DynamoDB's conditional writes. ``.importlinter`` (``domain-through-storage``) keeps every other
module of the layer from importing PynamoDB or ``encore.models``.

Where things are:
- messages and the frequency-cap turn: ``messages``; what channels report: ``message_events``
- waits (park / take / take-to-move): ``waits``; "has it already happened?": ``wait_checks``
- customers: ``profiles`` (profile, consent, suppression), ``visitors``, ``customers`` (what a
  message is about), ``privacy_records`` (export, erasure, receipts)
- shopping: ``orders``, ``carts``, ``shopping``, ``shoppers``, ``journey_records`` (once-ever
  and cooldown claims), ``milestones``
- catalogue and coupons: ``products``, ``catalogue``, ``coupon_codes``, ``coupons``, ``reviews``
- ingest: ``processed_events`` (dedupe), ``tracking_counters``, ``reconciliation``
- bundles a domain takes as one ``storage=`` argument: ``delivery``, ``customer_state``,
  ``scenario_starts``, ``shopping_state``; the items and keys: ``records``; the table: ``table``
"""
