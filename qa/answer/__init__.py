"""Answer selection: the passages about what the question names, the sentence that answers it, the
short answer inside it, the calibrated "not found", and follow-up questions completed from history.

kinds (expected answer kind) → entities (what the question names) → select (sentence features and
fitted scores) → spans (the short answer) → assemble (the Answer); followup completes a question
from the earlier turns before any of it.
"""

from .assemble import NOT_FOUND, Decision, compose, make_citations
from .followup import resolve

__all__ = ["NOT_FOUND", "Decision", "compose", "make_citations", "resolve"]
