"""Random detections, commands and timer ticks through one device's aggregate."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from schemas.deadlines import Deadlines
from schemas.events import AlarmEvent, Closed, CommandRejected
from schemas.families import Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision
from streams.alarms.escalation import apply_escalations
from streams.alarms.records import DeviceAlarms, Trigger
from streams.projections import fold_alarms
from streams.rules.decisions import Cleared, Detected

from .factories import T0, command, context, rid

CONDITIONS = st.sampled_from(["gas_level", "offline", "trapped"])
SEVERITIES = st.sampled_from([Severity.RED, Severity.ORANGE, Severity.YELLOW])
KINDS = st.sampled_from(
    ["acknowledge", "dispatch", "resolve", "close", "supervise", "lift_supervision"]
)
ROLES = st.sampled_from(["monitor", "regulator", "admin", "enterprise"])


class OneDevice(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ctx = context()
        self.state = DeviceAlarms()
        self.events: list[AlarmEvent] = []
        self.clock = 0.0

    def _now(self, step: float) -> datetime:
        self.clock += step
        return T0 + timedelta(seconds=self.clock)

    @rule(condition=CONDITIONS, severity=SEVERITIES, step=st.floats(0, 600))
    def detect(self, condition, severity, step):
        trigger = Trigger(rid(), self._now(step))
        self.state, new = apply_decision(
            self.state, self.ctx, Detected(condition, severity), trigger
        )
        self.events.extend(new)

    @rule(condition=CONDITIONS, step=st.floats(0, 600))
    def clear(self, condition, step):
        trigger = Trigger(rid(), self._now(step))
        self.state, new = apply_decision(self.state, self.ctx, Cleared(condition), trigger)
        self.events.extend(new)

    @rule(
        kind=KINDS,
        role=ROLES,
        pick=st.integers(0, 30),
        step=st.floats(0, 600),
        redeliver=st.booleans(),
    )
    def handle(self, kind, role, pick, step, redeliver):
        known = [r.alarm_id for r in self.state.alarms] + [rid()]
        target = known[pick % len(known)]
        cmd = command(
            self.ctx,
            kind,
            target,
            role=role,
            cause="test",
            seconds=self._now(step).timestamp() - T0.timestamp(),
        )
        for _ in range(2 if redeliver else 1):
            self.state, new = apply_command(self.state, self.ctx, cmd)
            self.events.extend(new)

    @rule(step=st.floats(0, 3 * 3600))
    def tick(self, step):
        self.state, new = apply_escalations(
            self.state, self.ctx, self._now(step), Deadlines()
        )
        self.events.extend(new)

    @invariant()
    def seq_is_gap_free_from_one_per_alarm(self):
        seqs: dict[str, list[int]] = {}
        for event in self.events:
            if event.seq:
                seqs.setdefault(event.alarm_id, []).append(event.seq)
        for numbers in seqs.values():
            assert numbers == list(range(1, len(numbers) + 1))

    @invariant()
    def nothing_but_rejections_follows_a_close(self):
        closed: set[str] = set()
        for event in self.events:
            if event.alarm_id in closed:
                assert isinstance(event, CommandRejected)
            if isinstance(event, Closed):
                closed.add(event.alarm_id)

    @invariant()
    def at_most_one_open_alarm_per_condition(self):
        views = fold_alarms(self.events).values()
        open_by_condition = Counter(v.condition for v in views if v.state != "closed")
        assert all(count == 1 for count in open_by_condition.values())

    @invariant()
    def the_projection_agrees_with_the_aggregate(self):
        views = fold_alarms(self.events)
        kept = {r.alarm_id: r for r in self.state.alarms}
        for alarm_id, record in kept.items():
            view = views[alarm_id]
            assert (view.state, view.severity, view.last_seq) == (
                record.state,
                record.severity,
                record.seq,
            )

    @invariant()
    def one_event_id_always_names_the_same_event(self):
        # A redelivered command about an unknown alarm repeats its rejection byte for byte:
        # harmless, since consumers dedupe by event_id.
        by_id: dict[str, AlarmEvent] = {}
        for event in self.events:
            assert by_id.setdefault(event.event_id, event) == event


OneDevice.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_random_inputs_keep_the_aggregate_invariants = OneDevice.TestCase
