"""Storage: the only code that reads and writes DynamoDB (through PynamoDB).

Each module here is a repository at the level of intent — claim a step, record a send, park,
take or release a wait — with an in-memory fake of the same interface in ``storage.fakes``. The
contract suite (``tests/contracts``) runs every repository's behaviour against both the fake and
moto, so domain tests can run on the fakes in milliseconds without the fakes drifting from
DynamoDB's conditional writes.
"""
