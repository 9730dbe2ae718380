"""The deliberation app's models, one module per part (each imported here so Django registers
it)."""

from .ballots import Ballot, MeetingTally, Vote
from .decisions import Decision, DecisionCase, Milestone, Project
from .roll import Voter
from .topics import CoSignature, Meeting, MeetingAttachment, Proposal, Topic

__all__ = [
    "Ballot",
    "CoSignature",
    "Decision",
    "DecisionCase",
    "Meeting",
    "MeetingAttachment",
    "MeetingTally",
    "Milestone",
    "Project",
    "Proposal",
    "Topic",
    "Vote",
    "Voter",
]
