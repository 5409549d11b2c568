"""The trajectory definition language, as a designer writes it in YAML.

These models are the language's grammar: unknown keys are rejected (`extra="forbid"`), every name is a
slug, every duration is ISO-8601. Cross-references (targets, roles, tasks, guards on form fields) are
checked by the compiler, which turns a `Definition` into an immutable `CompiledDefinition`.
`definitions/schema.json` is generated from these models for editors.

A few spellings are accepted for the designer's convenience and normalised here:
- a transition `on: {intake.done: plan}` is `on: {intake.done: [{target: plan}]}`;
- an action `- sign_declaration` is `- sign_declaration: {}`;
- a guard `all_tasks_done` is `{all_tasks_done: {}}`, `{ladder_at_least: 3}` is `{ladder_at_least: {step: 3}}`.

A form field's `options` are a list of codes (`[ziek, vergeten]`, read in words) or a mapping of each
code to its label (`{b1: B1-route, z: Z-route}`), as `roles` map a name to its words; both are kept
as written (an unlabelled definition compiles to what it did before labels existed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from traject.definition.duration import normalise
from traject.definition.words import in_words

SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
FieldRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", max_length=129)
]
DurationText = Annotated[
    str,
    StringConstraints(pattern=r"^([Pp]|\$\{)", max_length=40),  # ${param} in an editor
    AfterValidator(normalise),
    Field(description="ISO-8601 duration, e.g. P10W, P3M, P1Y, PT30S"),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _tagged(kind: str) -> Any:
    """Normalise `name` or `{name: params}` into `{kind: name, **params}` for a tagged union."""

    def normalise_tag(value: Any) -> Any:
        if isinstance(value, str):
            return {kind: value}
        if isinstance(value, dict) and len(value) == 1:
            ((name, params),) = value.items()
            if kind not in value:
                if params is None:
                    params = {}
                if not isinstance(params, dict) or name == "not":
                    params = {_SHORT_PARAM.get(name, "value"): params}
                return {kind: name, **params}
        return value

    return BeforeValidator(normalise_tag)


# The short form `{ladder_at_least: 3}` names the one parameter it sets.
_SHORT_PARAM = {
    "ladder_at_least": "step",
    "ladder_below": "step",
    "date_known": "date",
    "not": "negated",
    "all": "of",
    "any": "of",
    "notify": "to",
    "escalate": "to",
    "schedule_workshop": "workshop",
    "invite": "template",
    "set_date": "date",
    "record_ladder": "field",
    "report": "indicator",
}


# ---------------------------------------------------------------------------------------------- guards
class AllTasksDone(Strict):
    """All tasks of the state the transition leaves are completed."""

    guard: Literal["all_tasks_done"]


class LadderAtLeast(Strict):
    """The newcomer's latest participatieladder measurement is at least this step."""

    guard: Literal["ladder_at_least"]
    step: int = Field(ge=1, le=6)


class LadderBelow(Strict):
    guard: Literal["ladder_below"]
    step: int = Field(ge=1, le=6)


class DateKnown(Strict):
    """A case date (registratiedatum, pip_datum, ...) has been recorded."""

    guard: Literal["date_known"]
    date: Slug


class FieldCheck(Strict):
    """Compares a completed task's form field: `{field: intake.route, equals: b1}`."""

    # `in` is the designer's word; the compiled form is dumped as `one_of`, and must load again
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    guard: Literal["field"]
    field: FieldRef
    equals: str | int | float | bool | None = None
    not_equals: str | int | float | bool | None = None
    one_of: list[str | int] | None = Field(default=None, alias="in")
    at_least: int | float | None = None
    at_most: int | float | None = None


class AllOf(Strict):
    guard: Literal["all"]
    of: list[Guard] = Field(min_length=1)


class AnyOf(Strict):
    guard: Literal["any"]
    of: list[Guard] = Field(min_length=1)


class Not(Strict):
    guard: Literal["not"]
    negated: Guard


def _guard_short_form(value: Any) -> Any:
    """`{field: intake.route, equals: b1}` has two keys: the key `field` itself is the tag."""
    if isinstance(value, dict) and "field" in value and "guard" not in value:
        return {"guard": "field", **value}
    return value


Guard = Annotated[
    AllTasksDone | LadderAtLeast | LadderBelow | DateKnown | FieldCheck | AllOf | AnyOf | Not,
    Field(discriminator="guard"),
    _tagged("guard"),
    BeforeValidator(_guard_short_form),
]


# --------------------------------------------------------------------------------------------- actions
class Intake(Strict):
    """Open the case's intake record (brede intake, gestructureerde intake)."""

    action: Literal["intake"]
    kind: str = "intake"


class ScheduleWorkshop(Strict):
    """Book a seat in the next session of a workshop (waiting list when full)."""

    action: Literal["schedule_workshop"]
    workshop: Slug
    dagdelen: int = Field(default=1, ge=1, le=20)


class Invite(Strict):
    """Send the newcomer an invitation (letter/e-mail) from a template."""

    action: Literal["invite"]
    template: Slug


class SignDeclaration(Strict):
    """Record that the participatieverklaring was signed."""

    action: Literal["sign_declaration"]


class Notify(Strict):
    """Notify the people in a role (or the task's assignee) with a template."""

    action: Literal["notify"]
    to: Slug
    template: Slug | None = None


class RecordLadder(Strict):
    """Store a dated participatieladder measurement taken from a ladder form field."""

    action: Literal["record_ladder"]
    field: FieldRef


class Escalate(Strict):
    """Raise the case to a role: an escalation task plus a notification."""

    action: Literal["escalate"]
    to: Slug
    reason: str | None = None


class SetDate(Strict):
    """Record a case date as 'now' (e.g. pip_datum when the PIP is decided)."""

    action: Literal["set_date"]
    date: Slug


class Report(Strict):
    """Report an indicator to an outside party (e.g. PVT completion to DUO)."""

    action: Literal["report"]
    indicator: Slug
    to: Literal["duo", "cbs", "gemeente"] = "gemeente"


Action = Annotated[
    Intake
    | ScheduleWorkshop
    | Invite
    | SignDeclaration
    | Notify
    | RecordLadder
    | Escalate
    | SetDate
    | Report,
    Field(discriminator="action"),
    _tagged("action"),
]
ACTION_NAMES = (
    "intake",
    "schedule_workshop",
    "invite",
    "sign_declaration",
    "notify",
    "record_ladder",
    "escalate",
    "set_date",
    "report",
)
GUARD_NAMES = (
    "all_tasks_done",
    "ladder_at_least",
    "ladder_below",
    "date_known",
    "field",
    "all",
    "any",
    "not",
)


# ------------------------------------------------------------------------------------ forms and tasks
FieldType = Literal[
    "text", "string", "bool", "int", "number", "date", "choice", "multichoice", "ladder"
]


OptionCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
OptionLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _options_form(value: Any) -> str:
    """Which of the two spellings of `options` this is: a mapping gives each code its label."""
    return "labelled" if isinstance(value, dict) else "codes"


def _list_or_mapping(value: Any) -> Any:
    if value is not None and not isinstance(value, list | tuple | dict):
        raise ValueError(
            "options are a list of codes, [b1, z], or each code with its label, "
            "{b1: B1-route, z: Z-route}"
        )
    return value


# `options: [ziek, vergeten]`: the codes, read in words ('Ziek', 'Vergeten'; in_words);
# `options: {b1: B1-route, z: Z-route}`: each code with the label a case worker reads.
# Answers, guards and the workflow's history hold the code either way.
Options = Annotated[
    Annotated[list[OptionCode], Tag("codes")]
    | Annotated[dict[OptionCode, OptionLabel], Tag("labelled")],
    Discriminator(_options_form),
    BeforeValidator(_list_or_mapping),
]


class FormField(Strict):
    type: FieldType
    label: str | None = None
    help: str | None = None
    required: bool = False
    options: Options | None = Field(
        default=None,
        description="The choices: a list of codes ([ziek, vergeten], shown in words), or each code"
        " with its label ({b1: B1-route, z: Z-route}). An answer holds the code.",
    )
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = Field(default=None, ge=1, le=10000)
    personal: bool = Field(
        default=False,
        description="Personal data: kept in the store only, never sent to the workflow; "
        "guards cannot read it.",
    )

    def option_label(self, code: str) -> str:
        """An option as people read it: its label, else its code in words ('b1_of_hoger' →
        'B1 of hoger'); a code the field does not offer (an answer to an earlier version's
        form) in words too."""
        if isinstance(self.options, dict) and code in self.options:
            return self.options[code]
        return in_words(code)

    def option_labels(self) -> dict[str, str]:
        """Every option's code → its label, in the form's order."""
        return {code: self.option_label(code) for code in self.options or ()}


class Simulate(Strict):
    """Assumptions for the simulator: when this happens and how likely it is."""

    median: DurationText | None = None
    p90: DurationText | None = None
    probability: float | None = Field(default=None, gt=0, le=1)
    weight: float | None = Field(default=None, gt=0)


class Escalation(Strict):
    after: DurationText
    to: Slug
    goto: Slug | None = None


class Task(Strict):
    """A human task, opened when its state is entered and cancelled when the state is left."""

    title: str
    role: Slug
    description: str | None = None
    due: DurationText | None = None
    form: dict[Slug, FormField] = Field(default_factory=dict)
    remind: list[DurationText] = Field(default_factory=list)
    escalate: Escalation | None = None
    simulate: Simulate | None = None


class Timer(Strict):
    """A durable timer armed on state entry: after a duration from entry or from a case date."""

    name: Slug
    after: DurationText
    from_: Slug = Field(default="entry", alias="from")
    guard: Guard | None = None
    actions: list[Action] = Field(default_factory=list)
    goto: Slug | None = None


class Transition(Strict):
    target: Slug | None = None
    guard: Guard | None = None
    actions: list[Action] = Field(default_factory=list)
    outcome: Slug | None = None
    simulate: Simulate | None = None


def _transition_list(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return [{"target": value}]
    if isinstance(value, dict):
        return [value]
    return value


TransitionList = Annotated[list[Transition], BeforeValidator(_transition_list)]


class Kpi(Strict):
    expected: DurationText
    maximum: DurationText | None = None


class ChecklistItem(Strict):
    title: str
    role: Slug | None = None
    simulate: Simulate | None = None


def _checklist(value: Any) -> Any:
    if isinstance(value, list):
        return (
            {
                item: {"title": item.replace("_", " ")} if isinstance(item, str) else item
                for item in value
            }
            if all(isinstance(i, str) for i in value)
            else value
        )
    return value


class State(Strict):
    """A state. Its kind follows from what it holds: `states` (compound), `parallel` (regions that
    run at the same time), `checklist` (items worked in any order), `final: true`, or none (atomic)."""

    title: str | None = None
    description: str | None = None
    initial: Slug | None = None
    states: dict[Slug, State] | None = None
    parallel: dict[Slug, State] | None = None
    checklist: Annotated[dict[Slug, ChecklistItem], BeforeValidator(_checklist)] | None = None
    role: Slug | None = Field(default=None, description="Role that works the checklist items")
    final: bool = False
    outcome: Slug | None = None
    outcomes: list[Slug] | None = None
    on_entry: list[Action] = Field(default_factory=list)
    on_exit: list[Action] = Field(default_factory=list)
    tasks: dict[Slug, Task] = Field(default_factory=dict)
    timers: list[Timer] = Field(default_factory=list)
    on: dict[str, TransitionList] = Field(default_factory=dict)
    kpi: Kpi | None = None
    simulate: Simulate | None = None


class Event(Strict):
    """An outside event a case worker records (DUO notice received, housing date, ...)."""

    title: str
    sets_date: Slug | None = None


class Outcome(Strict):
    title: str
    expected: DurationText | None = Field(
        default=None, description="KPI: expected throughput time from start to this outcome"
    )


class TermijnStart(Strict):
    """Where a termijn starts: on entering a state, on a case date, or on an outside event."""

    state: Slug | None = None
    date: Slug | None = None
    event: Slug | None = None

    @model_validator(mode="after")
    def _one(self) -> TermijnStart:
        given = [k for k in ("state", "date", "event") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a termijn starts on exactly one of 'state', 'date' or 'event'")
        return self


class TermijnRule(Strict):
    """Who may suspend or extend a termijn, how often, and for how long at most."""

    roles: list[Slug] = Field(min_length=1)
    max_times: int = Field(default=1, ge=1, le=20)
    max_length: DurationText | None = Field(
        default=None, description="suspension: in total; extension: each time"
    )


TermijnLength = Annotated[
    str,
    StringConstraints(pattern=r"^(P\d+[DWMY]|\d+ werkdagen|\$\{.*\})$", max_length=40),
    Field(description="P10W, P2M, P3Y, P14D, or '15 werkdagen'"),
]


class Termijn(Strict):
    """A legal deadline: a start, a length (calendar units or werkdagen), warnings and what
    happens on expiry. A case worker may suspend or extend it where `suspend`/`extend` allow."""

    title: str
    legal_basis: str | None = None
    start: TermijnStart
    length: TermijnLength
    from_day_after: bool = Field(default=True, description="Awb 6:8: counts from the day after")
    atw: bool = Field(default=True, description="a statutory termijn: Algemene termijnenwet")
    amber: float = Field(default=0.8, gt=0, le=1, description="share used that turns it amber")
    warn_before: DurationText | None = Field(
        default=None, description="turn amber this long before the last day (instead of a share)"
    )
    met: list[Slug] = Field(default_factory=list, description="states whose entry meets it")
    on_warning: list[Action] = Field(default_factory=list, description="when it turns amber")
    on_expiry: list[Action] = Field(default_factory=list)
    suspend: TermijnRule | None = None
    extend: TermijnRule | None = None


class Definition(Strict):
    """A municipality's trajectory variant."""

    definition: Slug
    title: str
    municipality: Slug
    variant: str | None = None
    version: int = Field(ge=1)
    description: str | None = None
    legal_basis: list[str] = Field(default_factory=list)
    extends: str | None = Field(default=None, description="File (without .yaml) this one builds on")
    params: dict[Slug, str | int | float | bool] = Field(default_factory=dict)
    roles: dict[Slug, str] = Field(description="role name → description")
    case_dates: dict[Slug, str] = Field(default_factory=dict)
    events: dict[Slug, Event] = Field(default_factory=dict)
    outcomes: dict[Slug, Outcome] = Field(default_factory=dict)
    termijnen: dict[Slug, Termijn] = Field(default_factory=dict)
    initial: Slug
    states: dict[Slug, State] = Field(min_length=1)


for _model in (AllOf, AnyOf, Not, State):
    _model.model_rebuild()
