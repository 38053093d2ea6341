"""Policies (政策找人): published for an audience declared as data, matched in one query,
pushed through the outbox, answered by those they reached, followed in a funnel."""
