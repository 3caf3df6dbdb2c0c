"""Signposting's contracts: its directory of support (Open Referral UK shaped), its events, its
RPC operations, their requests and views. People who know and signposting requests are in
``contracts.experts``.
"""

from enum import StrEnum

SERVICE = "signposting"


class Audience(StrEnum):
    """Who a service is for, and who a need is for."""

    PATIENTS = "patients"
    FAMILIES_AND_CARERS = "families_and_carers"
    STAFF = "staff"
    PATIENT_SAFETY_PARTNERS = "patient_safety_partners"
