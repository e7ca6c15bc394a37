"""The feature catalogue: typed, documented values derived from a snapshot as of a date.

Rule files compare these fields; the evaluator sends the engine only the ones its rules use.
A value that cannot be known for a customer (no statement, never ordered) is absent, and any
comparison on an absent value is false, also under `not` (see rules/README.md).

The snapshot is first cut as it stood on the date (as_stood.py: records dated after it left out,
payments after it not made yet). Then the catalogue (catalogue.py) and the computation, one module per
source of the values: payments.py (invoices), purchases.py (orders and invoiced amounts), financials.py
(statements), compute.py (the rest, and the order of the passes).
"""

from policy_engine.features.as_stood import as_stood
from policy_engine.features.catalogue import (
    FEATURE_BY_NAME,
    FEATURES,
    SIGNAL_FIELDS,
    FeatureSettings,
    FieldSpec,
    FieldType,
)
from policy_engine.features.compute import compute_features, features_as_stood

__all__ = [
    "FEATURES",
    "FEATURE_BY_NAME",
    "SIGNAL_FIELDS",
    "FeatureSettings",
    "FieldSpec",
    "FieldType",
    "as_stood",
    "compute_features",
    "features_as_stood",
]
