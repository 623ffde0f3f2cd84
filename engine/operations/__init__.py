"""Operations: job runs, the scheduler lease, SLA escalation, health."""
