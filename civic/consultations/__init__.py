"""Public consultations: officials ask, citizens answer, officials report back."""
