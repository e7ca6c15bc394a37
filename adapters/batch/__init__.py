"""The nightly batch: re-evaluate every customer, portfolio policy (ABC), work queue, report, what-if."""
