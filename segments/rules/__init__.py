"""Segment rules, one module per purpose, imported from the module that owns each name.

- ``document``: the rule document's JSON Schema, its limits and operators (plain data);
- ``catalog``: what a rule may use of the tenant's schemas (plain values);
- ``bounds``: the counts, windows and instants a condition accepts (pure);
- ``checks``: everything wrong with a document, as problems (pure, no database access);
- ``compiler``: a checked document as one query over interactions and contacts (the only module
  here that touches the ORM).
"""
