"""credit-policy: a rule-engine based trade-credit and follow-up policy service."""

__version__ = "0.1.0"
