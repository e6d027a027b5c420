"""Delivering one journey step's message, as a pipeline of small steps, each a module:

load → eligibility → channel → guards → claim → content → send → record

- ``load``: the step's earlier attempt, the customer, the cart and order it is about;
- ``eligibility``: the journey's exit rules (named by the step, ``exit_if``) and what the
  message needs (its order, an unsubscribe link);
- ``channel``: the first of the step's channels that can carry it;
- ``guards``: frequency cap, quiet hours (``encore.guards`` holds the rules);
- ``claim``: the conditional write that makes the step happen once, and its release;
- ``content``: the coupon (``coupon``), the template's context, the rendered message;
- ``send``: the channel call, and what its failure means;
- ``record``: what the step's record keeps, and what the operator sees of it.

``pipeline.deliver_step`` runs them; ``encore.messaging`` re-exports what other modules use.
What the steps read and write goes through the repositories of ``encore.storage`` (bundled as
``storage.delivery.DeliveryStorage``: DynamoDB in the function, in-memory fakes in tests); no
step touches PynamoDB itself (``.importlinter``).
"""
