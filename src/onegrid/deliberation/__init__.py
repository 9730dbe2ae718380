"""自治: residents deliberate and decide together (议事协商): topics, co-signatures, meetings,
proposals, votes, decisions and the practical projects (为民办实事) and cases that carry them
out."""
