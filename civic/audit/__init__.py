"""The audit log: every staff action, who did it, to whom, when and why."""
