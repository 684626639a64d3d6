"""Evaluating what was collected and answered: control posture, requirement verdicts, the
summary, applicability, the platform in use, evidence over the period, and vulnerability ageing."""
