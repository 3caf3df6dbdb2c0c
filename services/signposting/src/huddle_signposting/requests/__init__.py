"""Signposting requests: a need, its answer, whether it helped, and the gaps."""
