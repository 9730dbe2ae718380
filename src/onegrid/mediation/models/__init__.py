"""The mediation app's models, one module per part (each imported here so Django registers it)."""

from .advice import LegalQuestion
from .agreements import Agreement, JudicialConfirmation
from .committees import MediationCommittee, MediationType
from .disputes import (
    Dispute,
    DisputeParty,
    FollowUp,
    MediationSession,
    MediatorAssignment,
    RefusedMediator,
)
from .screening import Level, Risk, RiskFollowUp, Screening

__all__ = [
    "Agreement",
    "Dispute",
    "DisputeParty",
    "FollowUp",
    "JudicialConfirmation",
    "LegalQuestion",
    "Level",
    "MediationCommittee",
    "MediationSession",
    "MediationType",
    "MediatorAssignment",
    "RefusedMediator",
    "Risk",
    "RiskFollowUp",
    "Screening",
]
