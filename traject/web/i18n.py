"""The pages' words: Dutch, with English for a browser that asks for English first.

Validation messages come from `traject.definition.forms` in English (the API speaks English);
`message()` gives them in the page's language by their pattern."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from traject.definition.compiled import in_words
from traject.definition.termijnen import written_length
from traject.web import i18n_definition, i18n_designer

LANGUAGES = ("nl", "en")
TEXT: dict[str, tuple[str, str]] = {  # key: (nl, en)
    "app.login": ("Inloggen", "Sign in"),
    "app.logout": ("Uitloggen", "Sign out"),
    "app.skip": ("Naar de inhoud", "Skip to content"),
    "login.municipality": ("Gemeente", "Municipality"),
    "login.username": ("Gebruikersnaam", "User name"),
    "login.password": ("Wachtwoord", "Password"),
    "login.oidc": (
        "Inloggen via de gemeente (eigen account)",
        "Sign in with your municipality account",
    ),
    "login.or_local": ("Of met een Traject-account:", "Or with a Traject account:"),
    "login.failed": (
        "Onbekende gebruiker of verkeerd wachtwoord.",
        "Unknown user or wrong password.",
    ),
    "login.locked": (
        "Te vaak een verkeerd wachtwoord: dit account is even geblokkeerd.",
        "Too many wrong passwords: this account is locked for a while.",
    ),
    "nav.inbox": ("Inbox", "Inbox"),
    "nav.tokens": ("API-tokens", "API tokens"),
    "nav.team": ("Team", "Team"),
    "team.title": ("Team", "Team"),
    "team.intro": (
        "Wie er in deze gemeente met Traject werkt. Deactiveer een collega die vertrekt: "
        "inloggen en API-tokens worden dan geweigerd. Vink aan om de taken die diegene nog "
        "heeft terug te geven aan hun groep; anders blijven ze op naam tot je ze overdraagt.",
        "Who works with Traject in this municipality. Deactivate a colleague who leaves: "
        "sign-in and API tokens are then refused. Tick the box to hand the tasks they still "
        "hold back to their groups; otherwise they stay theirs until you hand them over.",
    ),
    "team.name": ("Naam", "Name"),
    "team.username": ("Gebruikersnaam", "User name"),
    "team.roles": ("Rollen", "Roles"),
    "team.groups": ("Groepen", "Groups"),
    "team.held": ("Taken op naam", "Tasks held"),
    "team.status": ("Status", "Status"),
    "team.action": ("Actie", "Action"),
    "team.you": ("jij", "you"),
    "team.active": ("actief", "active"),
    "team.inactive": ("gedeactiveerd", "deactivated"),
    "team.release": ("taken teruggeven", "hand tasks back"),
    "team.deactivate": ("Deactiveren", "Deactivate"),
    "team.activate": ("Activeren", "Activate"),
    "team.give_back": ("Taken teruggeven", "Hand tasks back"),
    "team.tasks_back": (
        "De taken zijn terug bij hun groep.",
        "The tasks are back with their groups.",
    ),
    "team.deactivated": ("Collega gedeactiveerd.", "Colleague deactivated."),
    "team.released": (
        "Collega gedeactiveerd; hun taken zijn terug bij hun groep.",
        "Colleague deactivated; their tasks are back with their groups.",
    ),
    "team.activated": ("Collega kan weer inloggen.", "Colleague can sign in again."),
    "team.unchanged": ("Er was niets te veranderen.", "There was nothing to change."),
    "tokens.title": ("API-tokens", "API tokens"),
    "tokens.intro": (
        "Met een token werkt een koppeling (zoals het zaaksysteem) namens jou, met jouw rollen. "
        "Trek een token in zodra de koppeling het niet meer nodig heeft of het uitgelekt kan zijn.",
        "A token lets an integration (such as the case system) act as you, with your roles. "
        "Revoke it as soon as the integration no longer needs it or it may have leaked.",
    ),
    "tokens.made": (
        "Het token is gemaakt. Kopieer het nu: het wordt maar één keer getoond.",
        "The token is made. Copy it now: it is shown only this once.",
    ),
    "tokens.name": ("Waarvoor", "What it is for"),
    "tokens.name_rule": (
        "Geef een naam van 1 tot 100 tekens gewone tekst.",
        "Give a name of 1 to 100 characters of plain text.",
    ),
    "tokens.make": ("Token maken", "Make a token"),
    "tokens.yours": ("Jouw tokens", "Your tokens"),
    "tokens.created": ("Gemaakt", "Made"),
    "tokens.used": ("Laatst gebruikt", "Last used"),
    "tokens.never": ("nooit", "never"),
    "tokens.status": ("Status", "Status"),
    "tokens.active": ("actief", "active"),
    "tokens.revoked_on": ("ingetrokken", "revoked"),
    "tokens.revoke": ("Intrekken", "Revoke"),
    "tokens.revoked": ("Token ingetrokken.", "Token revoked."),
    "tokens.none": ("Je hebt nog geen tokens.", "You have no tokens yet."),
    "nav.cases": ("Zaken", "Cases"),
    "nav.new": ("Nieuw traject", "New trajectory"),
    "nav.audit": ("Auditlog", "Audit log"),
    "nav.designer": ("Ontwerpen", "Design"),
    "nav.label": ("Hoofdmenu", "Main menu"),
    "inbox.title": ("Mijn werkvoorraad", "My work"),
    "inbox.mine": ("Van mij", "Mine"),
    "inbox.team": ("Mijn team", "My team"),
    "inbox.unassigned": ("Niet toegewezen", "Unassigned"),
    "inbox.overdue": ("Te laat", "Overdue"),
    "inbox.deadline": ("Termijn dreigt", "Deadline near"),
    "inbox.all": ("Alle taken", "All tasks"),
    "inbox.case_suspended": (
        "Het traject is opgeschort: de taak wacht tot het is hervat.",
        "The trajectory is suspended: the task waits until it is resumed.",
    ),
    "inbox.empty": ("Geen taken in deze lijst.", "No tasks in this list."),
    "task.task": ("Taak", "Task"),
    "task.newcomer": ("Inburgeraar", "Newcomer"),
    "task.role": ("Rol", "Role"),
    "task.due": ("Uiterlijk", "Due"),
    "task.status": ("Status", "Status"),
    "task.claim": ("Oppakken", "Claim"),
    "task.release": ("Teruggeven", "Release"),
    "task.complete": ("Afronden", "Complete"),
    "task.assign": ("Toewijzen aan", "Assign to"),
    "task.assign_button": ("Toewijzen", "Assign"),
    "task.claimed_by": ("Opgepakt door", "Claimed by"),
    "task.required": ("verplicht", "required"),
    "task.yes": ("Ja", "Yes"),
    "task.no": ("Nee", "No"),
    "task.choose": ("Kies…", "Choose…"),
    "task.errors": ("Het formulier is nog niet goed", "The form is not right yet"),
    "task.done": ("Taak afgerond.", "Task completed."),
    "table.actions": ("Acties", "Actions"),
    # above a table that scrolls in its own box (a phone): the page does not
    "table.scroll": (
        "Schuif de tabel opzij voor de andere kolommen →",
        "Scroll the table sideways for the other columns →",
    ),
    "task.claimed": ("Taak opgepakt.", "Task claimed."),
    "task.released": ("Taak teruggegeven.", "Task released."),
    "task.assigned": ("Taak toegewezen.", "Task assigned."),
    "task.held_by": (
        "Deze taak is opgepakt door {name}. Alleen {name} kan haar afronden.",
        "This task is claimed by {name}. Only they can complete it.",
    ),
    "task.held_by_ask": (
        "Wil je haar zelf doen? Vraag {name} of een coördinator om de taak terug te geven of"
        " aan jou toe te wijzen.",
        "Want to do it yourself? Ask {name} or a coordinator to release it or assign it to you.",
    ),
    "task.held_by_oversee": (
        "Als coördinator kun je de taak teruggeven aan de groep of toewijzen aan een collega.",
        "As a coordinator you can release the task to its group or assign it to a colleague.",
    ),
    "task.case_suspended": (
        "Het traject van {name} is opgeschort{reason}. Zolang het stilstaat kan niemand deze"
        " taak oppakken of afronden.",
        "The trajectory of {name} is suspended{reason}. While it stands still nobody can claim"
        " or complete this task.",
    ),
    "task.case_suspended_ask": (
        "Vraag de klantmanager of een coördinator om het traject te hervatten.",
        "Ask the case manager or a coordinator to resume the trajectory.",
    ),
    "task.case_suspended_reason": (" (reden: {reason})", " (reason: {reason})"),
    "task.case_suspended_resume": (
        "Hervat eerst het traject op de zaakpagina.",
        "Resume the trajectory on its case page first.",
    ),
    "task.other_group": (
        "Deze taak is voor de groep {group}. Je zit niet in die groep: je kunt haar niet"
        " oppakken of afronden.",
        "This task is for the group {group}, which you are not in: you cannot claim or"
        " complete it.",
    ),
    "task.answers": ("Antwoorden", "Answers"),
    "task.completed_by": ("Afgerond door", "Completed by"),
    "task.completed_at": ("Afgerond op", "Completed on"),
    "task.personal_hidden": (
        "Persoonlijke antwoorden zijn niet zichtbaar voor je rol.",
        "Personal answers are not shown to your role.",
    ),
    "status.open": ("open", "open"),
    "status.claimed": ("opgepakt", "claimed"),
    "status.claimed_by": ("door {name}", "by {name}"),
    "status.claimed_by_me": ("door jou", "by you"),
    "status.overdue": ("te laat", "overdue"),
    "status.escalated": ("geëscaleerd", "escalated"),
    "status.completed": ("afgerond", "completed"),
    "status.cancelled": ("vervallen", "cancelled"),
    "status.running": ("loopt", "running"),
    "status.starting": ("start", "starting"),
    "status.suspended": ("opgeschort", "suspended"),
    "status.finished": ("afgerond", "finished"),
    "cases.title": ("Zaken", "Cases"),
    "cases.search": (
        "Zoeken op naam, kenmerk of zaaknummer",
        "Search by name, reference or case id",
    ),
    # a volunteer searches what they see: a first name, a case id (queries.cases)
    "cases.search_volunteer": (
        "Zoeken op voornaam of zaaknummer",
        "Search by first name or case id",
    ),
    "cases.filter": ("Filteren", "Filter"),
    "cases.all_statuses": ("Alle statussen", "All statuses"),
    "cases.all_definitions": ("Alle trajecten", "All trajectories"),
    "cases.all_states": ("Alle standen", "All states"),
    "cases.overdue_only": ("Alleen te laat", "Overdue only"),
    "cases.none": ("Geen zaken gevonden.", "No cases found."),
    # a volunteer reads the cases of the tasks they hold: the list says so (an empty one too)
    "cases.volunteer": (
        "Hier staan de zaken waarin je een taak hebt opgepakt. Een taak van je groep pak je op"
        " in je werkvoorraad; daarna staat de zaak hier.",
        "These are the cases in which you took on a task. Take on a task of your group in your"
        " work list; its case then shows here.",
    ),
    "cases.started": ("Gestart", "Started"),
    "cases.state": ("Stand", "State"),
    "cases.trajectory": ("Traject", "Trajectory"),
    "cases.reference": ("Kenmerk", "Reference"),
    "case.person": ("Inburgeraar", "Newcomer"),
    "case.bsn": ("BSN", "BSN"),
    "case.diagram": ("Waar staat het traject?", "Where is the trajectory?"),
    "case.tasks": ("Taken", "Tasks"),
    "case.timeline": ("Tijdlijn", "Timeline"),
    "case.timeline_order": ("Het laatste bovenaan.", "Latest first."),
    # the case's run in the workflow engine, for the beheerder (traject/web/templates/case.html)
    "case.technical": (
        "Technische details (voor de beheerder)",
        "Technical details (for the administrator)",
    ),
    "case.dates": ("Datums", "Dates"),
    "case.outcome": ("Uitkomst", "Outcome"),
    "case.event": ("Gebeurtenis vastleggen", "Record an event"),
    "case.ladder": ("Participatieladder meten", "Measure the participation ladder"),
    "case.step": ("Trede", "Step"),
    "case.decide": ("Opschorten, hervatten of stoppen", "Suspend, resume or stop"),
    "case.decide_suspend": ("Opschorten of hervatten", "Suspend or resume"),
    "case.suspended_since": ("sinds {date}", "since {date}"),
    # reasons (the list itself, with its labels, is traject/reasons.py)
    "case.reason": ("Reden", "Reason"),
    "case.reason_missing": ("Kies een reden", "Choose a reason"),
    "case.note_short": ("Toelichting", "Note"),
    "case.note_missing": (
        "Licht de reden toe: je koos 'Anders'",
        "Explain the reason: you chose 'Other'",
    ),
    "case.note_hint": (
        "Verplicht als je 'Anders' kiest. Alleen wat je collega's moeten weten.",
        "Required when you choose 'Other'. Only what your colleagues need to know.",
    ),
    "audit.reason": ("Reden", "Reason"),
    "case.note": ("Toelichting (alleen in het auditlog)", "Note (audit log only)"),
    "case.suspend": ("Opschorten", "Suspend"),
    "case.resume": ("Hervatten", "Resume"),
    "case.cancel": ("Traject stoppen", "Stop trajectory"),
    "case.record": ("Vastleggen", "Record"),
    "case.date": ("Datum", "Date"),
    "case.back": ("Terug", "Back"),
    # the event form (traject/web/pages.py: event): nothing chosen at first; an event that sets
    # a case date needs its date; replacing a date the case has is asked about first
    "case.event_choice": ("Gebeurtenis", "Event"),
    "case.event_missing": ("Kies een gebeurtenis", "Choose an event"),
    "case.event_unknown": ("Kies een gebeurtenis uit de lijst", "Choose an event from the list"),
    "case.event_sets_date": ("legt een datum vast", "sets a date"),
    "case.event_sets_date_now": ("legt een datum vast, nu {date}", "sets a date, now {date}"),
    "case.event_date_hint": (
        "Wanneer het gebeurde. Verplicht als de gebeurtenis een datum vastlegt.",
        "When it happened. Required when the event sets a date.",
    ),
    "case.event_date_missing": (
        "Vul de datum in: deze gebeurtenis legt een datum van het traject vast",
        "Enter the date: this event sets a date of the trajectory",
    ),
    "case.event_date_invalid": ("Vul een datum in (jjjj-mm-dd)", "Enter a date (yyyy-mm-dd)"),
    "case.event_date_future": (
        "Niet na vandaag: leg een gebeurtenis vast als die gebeurd is",
        "Not after today: record an event once it has happened",
    ),
    "case.event_replaces": (
        "Dit vervangt de datum {old} ({title}) door {new}. Weet je het zeker?",
        "This replaces the date {old} ({title}) with {new}. Are you sure?",
    ),
    "case.event_counts_from": (
        "De termijn '{termijnen}' telt vanaf deze datum.",
        "The deadline '{termijnen}' counts from this date.",
    ),
    "case.event_counts_from_many": (
        "De termijnen {termijnen} tellen vanaf deze datum.",
        "The deadlines {termijnen} count from this date.",
    ),
    "case.event_confirm": ("Ja, datum vervangen", "Yes, replace the date"),
    # stopping a trajectory (traject/web/pages.py: decide): asked about again first
    "case.cancel_hint": (
        "Stoppen is definitief: een gestopt traject kan niet meer verder.",
        "Stopping is final: a stopped trajectory cannot go on.",
    ),
    "case.cancel_confirm": (
        "Je stopt het traject van {who}. Dit kan niet ongedaan worden gemaakt.",
        "You are stopping the trajectory of {who}. This cannot be undone.",
    ),
    "case.who_reference": ("{name} (kenmerk {reference})", "{name} (reference {reference})"),
    "case.cancel_confirm_button": ("Ja, traject stoppen", "Yes, stop the trajectory"),
    "case.changed_meanwhile": (
        "Dat kan nu niet: het traject is intussen veranderd. Bekijk het hieronder opnieuw.",
        "That is not possible now: the trajectory has changed meanwhile. Look at it again below.",
    ),
    "case.started": ("Traject gestart.", "Trajectory started."),
    "case.saved": ("Vastgelegd.", "Recorded."),
    # what was done, said after it (the flash of traject/web/pages.py, with its values in words)
    "case.event_done": ("Gebeurtenis '{event}' vastgelegd.", "Event '{event}' recorded."),
    "case.event_done_still": (
        "Gebeurtenis '{event}' vastgelegd. Het traject blijft in dezelfde stap: in deze stap"
        " verandert de gebeurtenis niets.",
        "Event '{event}' recorded. The trajectory stays where it is: in this step the event"
        " changes nothing.",
    ),
    "case.event_done_on": (
        "Gebeurtenis '{event}' vastgelegd, met datum {date}.",
        "Event '{event}' recorded, dated {date}.",
    ),
    "case.ladder_done": ("{step} vastgelegd.", "{step} recorded."),
    "case.suspend_done": ("Traject opgeschort: {reason}.", "Trajectory suspended: {reason}."),
    "case.resume_done": ("Traject hervat: {reason}.", "Trajectory resumed: {reason}."),
    "case.cancel_done": ("Traject gestopt: {reason}.", "Trajectory stopped: {reason}."),
    "termijn.suspend_done": (
        "Termijn '{termijn}' opgeschort: {reason}.",
        "Deadline '{termijn}' suspended: {reason}.",
    ),
    "termijn.resume_done": (
        "Termijn '{termijn}' hervat: {reason}.",
        "Deadline '{termijn}' resumed: {reason}.",
    ),
    "termijn.extend_done": (
        "Termijn '{termijn}' verlengd met {length}: {reason}.",
        "Deadline '{termijn}' extended by {length}: {reason}.",
    ),
    # the participatieladder on the case page (its steps and their names: traject/ladder.py)
    "ladder.current": ("Participatieladder", "Participation ladder"),
    "ladder.measured_on": ("gemeten op {date}", "measured on {date}"),
    "case.suspended_no_records": (
        "Het traject is opgeschort: hervat het om een gebeurtenis of een meting vast te leggen.",
        "The trajectory is suspended: resume it to record an event or a measurement.",
    ),
    # what a timeline entry says besides its kind and subject
    "timeline.to": ("aan {to}", "to {to}"),
    "timeline.due": ("uiterlijk {date}", "due {date}"),
    "timeline.version": ("versie {version}", "version {version}"),
    "timeline.on": ("op {date}", "on {date}"),
    "termijn.title": ("Termijnen", "Deadlines"),
    "termijn.due": ("uiterlijk", "due"),
    "termijn.days_left": ("dagen over", "days left"),
    "termijn.on_time": ("op tijd", "on time"),
    "termijn.amber": ("let op", "due soon"),
    "termijn.red": ("laatste dag", "last day"),
    "termijn.suspended": ("opgeschort", "suspended"),
    "termijn.met": ("gehaald", "met"),
    "termijn.expired": ("verlopen", "expired"),
    "termijn.ended": ("vervallen", "ended"),
    "kind.termijn_ended": ("Termijn vervallen (traject beëindigd)", "Deadline ended with the case"),
    "termijn.suspend": ("Opschorten", "Suspend"),
    "termijn.resume": ("Hervatten", "Resume"),
    "termijn.extend": ("Verlengen", "Extend"),
    "termijn.length": (
        "Met (bv. 6 weken, 2 maanden of 10 werkdagen)",
        "By (e.g. 6 weeks, 2 months or 10 working days)",
    ),
    "termijn.length_short": ("Verlengen met", "Extend by"),
    "termijn.length_placeholder": ("6 weken", "6 weeks"),
    "termijn.length_missing": (
        "Schrijf met hoeveel: bijvoorbeeld 6 weken, 2 maanden of 10 werkdagen",
        "Say by how much: for example 6 weeks, 2 months or 10 working days",
    ),
    "termijn.length_invalid": (
        "Dit is geen termijnlengte: schrijf bijvoorbeeld 6 weken, 2 maanden, 10 werkdagen of P2M",
        "This is not a length: write for example 6 weeks, 2 months, 10 working days or P2M",
    ),
    "kind.termijn_started": ("Termijn gestart", "Deadline started"),
    "kind.termijn_met": ("Termijn gehaald", "Deadline met"),
    "kind.termijn_amber": ("Termijn loopt bijna af", "Deadline near"),
    "kind.termijn_expired": ("Termijn verlopen", "Deadline passed"),
    "kind.termijn_suspend": ("Termijn opgeschort", "Deadline suspended"),
    "kind.termijn_resume": ("Termijn hervat", "Deadline resumed"),
    "kind.termijn_extend": ("Termijn verlengd", "Deadline extended"),
    "designer.title": ("Trajecten ontwerpen", "Design trajectories"),
    "designer.versions": ("Versies", "Versions"),
    "designer.version": ("Versie", "Version"),
    "designer.running": ("Lopende zaken", "Running cases"),
    "designer.edit": ("Nieuwe versie maken", "Make a new version"),
    "designer.diff": ("Verschillen", "Differences"),
    "designer.migrate": ("Zaken overzetten", "Move cases"),
    "designer.published": ("Nieuwe versie gepubliceerd.", "New version published."),
    "designer.publish": ("Publiceren", "Publish"),
    "designer.note": ("Waarom deze versie? (verplicht)", "Why this version? (required)"),
    "designer.reason": ("Reden", "Reason"),  # the column over the publish notes
    "designer.built_in_by": ("Traject (ingebouwd)", "Traject (built-in)"),
    "designer.built_in_note": (
        "Ingebouwde definitie, meegeleverd met Traject",
        "Built-in definition, shipped with Traject",
    ),
    "designer.problems": ("Problemen", "Problems"),
    "designer.valid": (  # the live check: what would be published, by its title
        "De definitie is geldig: {title}, versie {version}.",
        "The definition is valid: {title}, version {version}.",
    ),
    "designer.line": ("regel", "line"),
    "designer.diagram": ("Diagram", "Diagram"),
    "designer.simulation": ("Simulatie", "Simulation"),
    "designer.draft": ("Concept", "Draft"),
    "designer.current": ("Gepubliceerd", "Published"),
    "designer.outcome": ("Uitkomst", "Outcome"),
    "designer.share": ("Aandeel", "Share"),
    "designer.bottleneck": ("Knelpunt", "Bottleneck"),
    "designer.scenarios": ("Scenariotests", "Scenario tests"),
    "designer.changes": ("Wat verandert", "What changes"),
    "designer.no_changes": ("Geen verschillen.", "No differences."),
    "designer.compare": ("Vergelijken", "Compare"),  # the diff page's button: these two versions
    "designer.runs": ("{n} keer doorlopen", "{n} runs"),
    "designer.median": ("mediaan", "median"),
    "designer.no_outcome": ("afgelopen zonder uitkomst", "finished without an outcome"),
    "designer.copied_note": (
        "overgenomen van de ingebouwde definitie {name}",
        "copied from the built-in definition {name}",
    ),
    "designer.by": ("door", "by"),
    "designer.start": ("Beginnen met een ingebouwde definitie", "Start from a built-in definition"),
    "designer.start_help": (
        "Neem een ingebouwde definitie over als versie 1 van je eigen traject en pas die aan.",
        "Copy a built-in definition as version 1 of your own trajectory and adapt it.",
    ),
    "designer.copy": ("Overnemen en aanpassen", "Copy and adapt"),
    "designer.builds_on": ("bouwt voort op", "builds on"),
    "designer.base_first": ("neem eerst over:", "copy first:"),
    "designer.already_yours": ("heb je al", "already yours"),
    "designer.svg": ("Diagram als SVG downloaden", "Download the diagram as SVG"),
    "designer.to_version": ("Naar versie", "To version"),
    "designer.mapping": (
        "Toestanden koppelen (oud: nieuw, één per regel)",
        "Map states (old: new, one per line)",
    ),
    "designer.dry_run": ("Controleren (proefdraaien)", "Check (dry run)"),
    "designer.apply": ("Overzetten", "Move"),
    "designer.cases": ("Zaken", "Cases"),
    "designer.ok": ("kan over", "can move"),
    "designer.moved": ("overgezet", "moved"),
    "designer.refused": ("geweigerd", "refused"),
    # the migrate page: cases by kenmerk, states by title, a confirmation first, undo after
    "designer.will_move": ("gaat over", "will move"),
    "designer.publish_failing": (
        "Toch publiceren: ik weet dat deze scenario's niet slagen met deze versie ({scenarios}).",
        "Publish anyway: I know these scenarios fail on this version ({scenarios}).",
    ),
    "designer.state_now": ("Nu", "Now"),
    "designer.state_before": ("Voor het overzetten", "Before the move"),
    "designer.state_after": ("Na het overzetten", "After the move"),
    "designer.why_not": ("Waarom niet", "Why not"),
    "designer.no_older_cases": (
        "Er lopen geen zaken op een oudere versie.",
        "No cases run on an older version.",
    ),
    "designer.states_help": (
        "Stappen per versie, voor het koppelen (titel en naam)",
        "States per version, for the mapping (title and name)",
    ),
    "designer.confirm_title": ("Overzetten bevestigen", "Confirm the move"),
    "designer.confirm_one": (
        "Je zet 1 zaak over van versie {from_} naar versie {to}.",
        "You move 1 case from version {from_} to version {to}.",
    ),
    "designer.confirm_many": (
        "Je zet {n} zaken over van versie {from_} naar versie {to}.",
        "You move {n} cases from version {from_} to version {to}.",
    ),
    "designer.and": ("en", "and"),
    "designer.confirm_help": (
        "Hieronder zie je in welke stap elke zaak komt. Er verandert pas iets als je op de knop"
        " drukt. Zolang een zaak daarna niet verder gaat, kun je het overzetten ongedaan maken.",
        "Below is the state each case lands in. Nothing changes until you press the button."
        " Until a case moves on after that, you can undo the move.",
    ),
    "designer.confirm_none": (
        "Geen van de gekozen zaken kan over: er verandert niets.",
        "None of the chosen cases can move: nothing changes.",
    ),
    "designer.confirm_skipped": (
        "Deze zaken gaan niet mee, en blijven zoals ze zijn:",
        "These cases do not move, and stay as they are:",
    ),
    "designer.confirm_button_one": ("Ja, zet 1 zaak over", "Yes, move 1 case"),
    "designer.confirm_button_many": ("Ja, zet {n} zaken over", "Yes, move {n} cases"),
    "designer.back": ("Terug, niets overzetten", "Back, move nothing"),
    "designer.moved_summary": (
        "Overgezet naar versie {to}: {moved} van de {total} zaken.",
        "Moved to version {to}: {moved} of {total} cases.",
    ),
    "designer.refused_summary": (
        "Niet overgezet: {refused}. Bij elke zaak staat waarom; aan die zaken is niets veranderd.",
        "Not moved: {refused}. Each says why; nothing about those cases changed.",
    ),
    "designer.undo": ("Ongedaan maken", "Undo"),
    "designer.undoable": ("Overgezet, nog terug te zetten", "Moved, can still be undone"),
    "designer.undo_help": (
        "Deze zaken zijn overgezet en sindsdien niet verder gegaan. Met 'Ongedaan maken' zet je"
        " een zaak terug op zijn vorige versie en stap.",
        "These cases were moved and have not moved on since. 'Undo' puts a case back on its"
        " previous version and state.",
    ),
    "designer.undone": (
        "Overzetten ongedaan gemaakt: {case} staat weer op versie {version}.",
        "Move undone: {case} is back on version {version}.",
    ),
    "designer.undo_refused": ("{case} is niet teruggezet.", "{case} was not moved back."),
    "designer.status_published": ("gepubliceerd", "published"),
    "designer.status_retired": ("vervangen", "retired"),
    "designer.status_draft": ("concept", "draft"),
    "designer.status_help": (
        "Nieuwe zaken starten op de gepubliceerde versie. Zaken op een vervangen versie lopen"
        " daarop door, tot ze klaar zijn of worden overgezet. Een concept is nog niet"
        " gepubliceerd: geen zaak loopt erop.",
        "New cases start on the published version. Cases on a retired version run on it until"
        " they finish or are moved. A draft is not published yet: no case runs on it.",
    ),
    "designer.save_draft": ("Concept opslaan", "Save draft"),
    "designer.draft_saved": ("Concept opgeslagen.", "Draft saved."),
    "designer.draft_discarded": ("Concept weggegooid.", "Draft discarded."),
    "designer.draft_notice": (
        "Concept opgeslagen door {by} op {at}.",
        "Draft saved by {by} at {at}.",
    ),
    "designer.draft_help": (
        "Lopende zaken en gepubliceerde versies merken er niets van.",
        "Running cases and published versions are not affected by it.",
    ),
    "designer.discard_draft": ("Concept weggooien", "Discard draft"),
    "designer.edit_draft": ("Concept verder bewerken", "Continue the draft"),
    "new.title": ("Nieuw traject starten", "Start a new trajectory"),
    "new.definition": ("Traject", "Trajectory"),
    "new.first_name": ("Voornaam", "First name"),
    "new.last_name": ("Achternaam", "Last name"),
    "new.bsn": ("BSN", "BSN"),
    "new.reference": ("Kenmerk", "Reference"),
    "new.start": ("Traject starten", "Start trajectory"),
    "case.termijn_runs_on": (
        "Opschorten zet de termijn niet stil: {termijnen} loopt door. Een termijn schort je op "
        "of verleng je bij de termijn zelf, onder Termijnen.",
        "Suspending does not stop the termijn: {termijnen} runs on. You suspend or extend a "
        "termijn at the termijn itself, under Termijnen.",
    ),
    "case.termijnen_run_on": (
        "Opschorten zet de termijnen niet stil: {termijnen} lopen door. Een termijn schort je op "
        "of verleng je bij de termijn zelf, onder Termijnen.",
        "Suspending does not stop the termijnen: {termijnen} run on. You suspend or extend a "
        "termijn at the termijn itself, under Termijnen.",
    ),
    "new.recorded_dates": (
        "Datums die het traject zelf vastlegt",
        "Dates the trajectory records itself",
    ),
    "new.recorded_dates_hint": (
        "Het traject legt deze datums vast bij de stap waar ze bij horen. Vul ze alleen in als je "
        "een traject overneemt dat al loopt, bijvoorbeeld uit een ander systeem.",
        "The trajectory records these dates at the step they belong to. Fill them in only when "
        "you take over a trajectory that is already under way, for instance from another system.",
    ),
    "audit.title": ("Auditlog", "Audit log"),
    "audit.at": ("Wanneer", "When"),
    "audit.actor": ("Wie", "Who"),
    "audit.action": ("Wat", "What"),
    "audit.case": ("Zaak", "Case"),
    "audit.case_hint": ("Kenmerk of zaaknummer", "Reference or case number"),
    "audit.no_case": (
        "Er is geen zaak met kenmerk of zaaknummer '{case}' in je gemeente.",
        "There is no case with reference or case number '{case}' in your municipality.",
    ),
    "audit.cases_one": ("{n} zaak", "{n} case"),
    "audit.cases_other": ("{n} zaken", "{n} cases"),
    # what the audit log says was done, by the action code written with repo.audit (the page
    # shows an unknown code as it is)
    "action.signed_in": ("Ingelogd", "Signed in"),
    "action.cases_listed": ("Zakenlijst bekeken", "Case list viewed"),
    "action.case_read": ("Zaak ingezien", "Case viewed"),
    "action.task_read": ("Taak ingezien", "Task viewed"),
    "action.case_started": ("Traject gestart", "Trajectory started"),
    "action.case_exported": ("Zaakgegevens geëxporteerd", "Case data exported"),
    "action.case_anonymised": (
        "Zaak geanonimiseerd (bewaartermijn verstreken)",
        "Case anonymised (retention period over)",
    ),
    "action.task_assigned": ("Taak toegewezen", "Task assigned"),
    "action.task_released": ("Taak teruggegeven", "Task released"),
    "action.task_completed": ("Taak afgerond", "Task completed"),
    "action.event_recorded": ("Gebeurtenis vastgelegd", "Event recorded"),
    "action.ladder_recorded": ("Participatieladder gemeten", "Ladder measured"),
    "action.termijn_suspend": ("Termijn opgeschort", "Deadline suspended"),
    "action.termijn_resume": ("Termijn hervat", "Deadline resumed"),
    "action.termijn_extend": ("Termijn verlengd", "Deadline extended"),
    "action.case_suspend": ("Traject opgeschort", "Trajectory suspended"),
    "action.case_resume": ("Traject hervat", "Trajectory resumed"),
    "action.case_cancel": ("Traject gestopt", "Trajectory stopped"),
    "action.case_migrated": (
        "Zaak overgezet naar een latere versie",
        "Case moved to a later version",
    ),
    "action.case_migration_reverted": ("Overzetten teruggedraaid", "Case move undone"),
    "action.definition_published": ("Trajectversie gepubliceerd", "Trajectory version published"),
    "action.definition_draft_saved": ("Concept opgeslagen", "Draft saved"),
    "action.definition_draft_discarded": ("Concept weggegooid", "Draft discarded"),
    "action.user_activated": ("Gebruiker geactiveerd", "User activated"),
    "action.user_deactivated": ("Gebruiker gedeactiveerd", "User deactivated"),
    "action.token_created": ("API-token aangemaakt", "API token created"),
    "action.token_revoked": ("API-token ingetrokken", "API token revoked"),
    # what the audit log says beside an action (traject/web/audit_words.py): an assignment to
    # oneself is a claim, to someone else it names them; which task, version, ...
    "audit.claimed": ("Taak opgepakt", "Task claimed"),
    "audit.assigned_to": ("Taak toegewezen aan {name}", "Task assigned to {name}"),
    "audit.with_personal": ("met persoonlijke antwoorden", "with personal answers"),
    "audit.to_version": ("naar versie {version}", "to version {version}"),
    "audit.back_to_version": ("terug naar versie {version}", "back to version {version}"),
    "audit.definition_version": ("{title}, versie {version}", "{title}, version {version}"),
    "audit.all": ("Alle acties", "All actions"),
    "audit.filter_task_assigned": ("Taak opgepakt of toegewezen", "Task claimed or assigned"),
    "page.previous": ("Vorige", "Previous"),
    "page.next": ("Volgende", "Next"),
    "page.of": ("van", "of"),
    "error.title": ("Dat ging niet", "That did not work"),
    "kind.state_entered": ("Stap begonnen", "Step started"),
    "kind.state_exited": ("Stap afgesloten", "Step closed"),
    "kind.task_opened": ("Taak klaargezet", "Task opened"),
    "kind.task_claimed": ("Taak opgepakt", "Task claimed"),
    "kind.task_assigned": ("Taak toegewezen", "Task assigned"),
    "kind.task_released": ("Taak teruggegeven", "Task released"),
    "kind.task_completed": ("Taak afgerond", "Task completed"),
    "kind.task_cancelled": ("Taak vervallen", "Task cancelled"),
    "kind.task_overdue": ("Taak te laat", "Task overdue"),
    "kind.task_reminded": ("Herinnering verstuurd", "Reminder sent"),
    "kind.task_escalated": ("Taak geëscaleerd", "Task escalated"),
    # a wait of the trajectory ended (a timer); not a termijn, which has kinds of its own
    "kind.timer_fired": ("Wachttijd verstreken", "Waiting time elapsed"),
    "kind.event_recorded": ("Gebeurtenis vastgelegd", "Event recorded"),
    "kind.suspended": ("Traject opgeschort", "Trajectory suspended"),
    "kind.resumed": ("Traject hervat", "Trajectory resumed"),
    "kind.cancelled": ("Traject gestopt", "Trajectory stopped"),
    "kind.ladder_measured": ("Participatieladder gemeten", "Ladder measured"),
    "kind.intake_started": ("Intake gestart", "Intake started"),
    "kind.workshop_booked": ("Plaats in workshop geboekt", "Workshop seat booked"),
    "kind.workshop_waitlisted": ("Op wachtlijst workshop", "Workshop waiting list"),
    "kind.invited": ("Uitnodiging verstuurd", "Invitation sent"),
    "kind.declaration_signed": (
        "Participatieverklaring getekend",
        "Participation declaration signed",
    ),
    "kind.notified": ("Bericht verstuurd", "Message sent"),
    "kind.escalated": ("Geëscaleerd", "Escalated"),
    "kind.reported": ("Gemeld", "Reported"),
    "kind.date_set": ("Datum vastgelegd", "Date set"),
    "kind.finished": ("Traject afgerond", "Trajectory finished"),
    "kind.migrated": (
        "Overgezet naar een nieuwe versie van het traject",
        "Moved to a new version of the trajectory",
    ),
    "kind.migration_reverted": (
        "Overzetten naar een nieuwe versie teruggedraaid",
        "Move to a new version undone",
    ),
    # the coordinators' dashboard (traject/web/dashboard*.py, templates dashboard*.html, report.html)
    "nav.dashboard": ("Dashboard", "Dashboard"),
    "dash.title_page": ("Dashboard", "Dashboard"),
    "dash.tab_overview": ("Overzicht", "Overview"),
    "dash.tab_stuck": ("Vastgelopen zaken", "Stuck cases"),
    "dash.tab_scoreboard": ("Scorebord", "Scoreboard"),
    "dash.tab_report": ("Kwartaalrapportage", "Quarterly report"),
    "dash.version": ("Versie", "Version"),
    "dash.versions": ("Versies", "Versions"),
    "dash.all_versions": ("Alle versies", "All versions"),
    "dash.from": ("Van", "From"),
    "dash.to": ("Tot en met", "Up to and including"),
    "dash.year": ("Jaar", "Year"),
    "dash.quarter": ("Kwartaal", "Quarter"),
    "dash.show": ("Tonen", "Show"),
    "dash.period": ("Periode", "Period"),
    "dash.no_names": (
        "Aantallen en doorlooptijden, zonder namen",
        "Counts and throughput times, without names",
    ),
    "dash.excel": ("Download voor Excel", "Download for Excel"),
    "dash.excel_title": (
        "Opent in Excel met kolommen, kolomtitels en stappen in woorden",
        "Opens in Excel in columns, with column titles and steps in words",
    ),
    "dash.csv": ("CSV voor koppelingen", "CSV for integrations"),
    "dash.csv_title": (
        "Gescheiden door komma's, decimale punt, codes in plaats van woorden: voor een script",
        "Comma-separated, a decimal point, codes instead of words: for a script",
    ),
    "dash.loading": ("Bezig met laden…", "Loading…"),
    "dash.failed": (
        "Dit onderdeel kon niet worden geladen: vernieuw de pagina.",
        "This section could not be loaded: reload the page.",
    ),
    "dash.without_js": (
        "Alle onderdelen op één pagina tonen (zonder JavaScript)",
        "Show every section on one page (without JavaScript)",
    ),
    "dash.table": ("Tabel", "Table"),
    "dash.chart_table": (
        "de tabel eronder heeft dezelfde cijfers",
        "the table below has the numbers",
    ),
    "dash.none": ("Geen gegevens.", "No data."),
    "dash.heatmap": ("Lopende zaken in het procesdiagram", "Open cases on the process diagram"),
    "dash.heatmap_note": (
        "het getal achter een stap is het aantal lopende zaken in die stap",
        "the number after a step is the number of open cases in it",
    ),
    "dash.few": ("weinig", "few"),
    "dash.many": ("veel", "many"),
    "dash.states": ("Lopende zaken per stap", "Open cases per step"),
    "dash.state": ("Stap", "Step"),
    "dash.title": ("Omschrijving", "Description"),
    "dash.cases": ("Zaken", "Cases"),
    "dash.kpi_days": ("Norm (dagen)", "Target (days)"),
    "dash.max_days": ("Maximum (dagen)", "Maximum (days)"),
    "dash.tasks": ("Open taken per rol", "Open tasks per role"),
    "dash.termijnen": ("Termijnen per team", "Deadlines per team"),
    # column headers, in sentence case as every header (the badges' words are lower case)
    "dash.termijn": ("Termijn", "Deadline"),
    "dash.expired": ("Verlopen", "Expired"),
    "dash.near": ("Bijna verlopen", "Nearly expired"),
    "dash.on_time": ("Op tijd", "On time"),
    "dash.suspended": ("Opgeschort", "Suspended"),
    "dash.overdue": ("Te laat", "Overdue"),
    "dash.escalated": ("Geëscaleerd", "Escalated"),
    # a norm in the unit it is written in (dashboard_sections.norm): P30M, P3Y; a short one in
    # days (in a table of months)
    "dash.in_months": ("{n} mnd", "{n} mo"),
    "dash.in_years": ("{n} jaar", "{n} yr"),
    "dash.in_days": ("{n} dagen", "{n} days"),
    "dash.open": ("Open", "Open"),
    "dash.unassigned": ("Niet toegewezen", "Unassigned"),
    "dash.escalations": ("Escalaties in de periode", "Escalations in the period"),
    "dash.to_role": ("Naar", "To"),
    "dash.reason": ("Reden", "Reason"),
    "dash.count": ("Aantal", "Number"),
    "dash.unresolved": ("Nog niet opgelost", "Unresolved"),
    "dash.weekly": ("Gestart en afgerond per week", "Started and finished per week"),
    "dash.week_start": ("Maandag", "Monday"),
    "dash.week": ("Week", "Week"),
    "dash.started": ("Gestart", "Started"),
    "dash.finished": ("Afgerond", "Finished"),
    "dash.outcomes": (
        "Doorlooptijd per uitkomst (maanden)",
        "Throughput time per outcome (months)",
    ),
    "dash.outcomes_note": (
        "Van start tot einde, van de trajecten die in de periode eindigden; norm uit de definitie.",
        "From start to end, of the trajectories that ended in the period; target from the definition.",
    ),
    "dash.phases": ("Doorlooptijd per fase en stap (dagen)", "Time per phase and step (days)"),
    "dash.phases_note": (
        "Van binnenkomst tot vertrek, van de verblijven die in de periode eindigden; norm is de KPI"
        " van de stap.",
        "From entering to leaving, of the stays that ended in the period; the target is the step's KPI.",
    ),
    "dash.name": ("Naam", "Name"),
    "dash.n": ("Aantal", "Number"),
    "dash.median": ("Mediaan", "Median"),
    "dash.target": ("Norm", "Target"),
    "dash.over_target": ("% boven norm", "% over target"),
    "dash.ladder": (
        "Participatieladder: laatste trede per zaak",
        "Participation ladder: latest step per case",
    ),
    "dash.ladder_note": (
        "Zaken die in de periode liepen, laatste meting voor het einde van de periode.",
        "Cases that ran in the period, latest measurement before its end.",
    ),
    "dash.share": ("Aandeel (%)", "Share (%)"),
    "dash.went_up": ("Omhoog", "Up"),
    "dash.same": ("Gelijk", "Same"),
    "dash.went_down": ("Omlaag", "Down"),
    "dash.ladder_changes": (
        "Participatieladder: metingen en tredewijzigingen per maand",
        "Participation ladder: measurements and step changes per month",
    ),
    "dash.month": ("Maand", "Month"),
    "dash.measurements": ("Metingen", "Measurements"),
    "dash.mean_step": ("Gemiddelde trede", "Mean step"),
    "dash.horizon": (
        "Op trede 3 of hoger na {months} maanden",
        "At step 3 or higher after {months} months",
    ),
    "dash.not_measured": ("Daarvan nooit gemeten", "Of which never measured"),
    "dash.wi": ("Wet inburgering 2021: indicatoren", "Civic Integration Act 2021: indicators"),
    "dash.wi_note": (
        "PIP: zaken waarvan de tien weken na de DUO-melding in de periode verliepen. PVT en MAP:"
        " zaken met een PIP, stand aan het einde van de periode. Termijn: zaken waarvan de uitkomst"
        " in de periode bekend werd.",
        "PIP: cases whose ten weeks after the DUO notice ended in the period. PVT and MAP: cases"
        " with a PIP, at the end of the period. Term: cases whose result became known in the period.",
    ),
    "dash.indicator": ("Indicator", "Indicator"),
    "dash.numerator": ("Teller", "Numerator"),
    "dash.denominator": ("Noemer", "Denominator"),
    "dash.percent": ("Percentage", "Percentage"),
    "dash.routes": (
        "Leerroutes in de PIP's van de periode",
        "Learning routes in the period's PIPs",
    ),
    "dash.route": ("Leerroute", "Route"),
    "dash.pips": ("PIP's", "PIPs"),
    "dash.switches": ("Routewissels", "Route switches"),
    "wi.pip": ("PIP binnen 10 weken na de DUO-melding", "PIP within 10 weeks of the DUO notice"),
    "wi.pvt": ("PVT afgerond", "PVT completed"),
    "wi.map": ("MAP afgerond (zonder onderwijsroute)", "MAP completed (excluding education route)"),
    "wi.term": ("Voldaan binnen de termijn van 3 jaar", "Fulfilled within the 3-year term"),
    "stuck.explain": (
        "Lopende zaken zonder voortgang (geen nieuwe stap) langer dan de KPI van hun stap: het"
        " maximum, anders de norm, van de binnenste stap eromheen die er een heeft.",
        "Open cases without progress (no new step) for longer than their step's KPI: the maximum,"
        " else the target, of the innermost surrounding step that has one.",
    ),
    "stuck.per_state": ("Vastgelopen zaken per stap", "Stuck cases per step"),
    "stuck.limit": ("Grens (dagen)", "Limit (days)"),
    "stuck.longest": ("Het langst zonder voortgang", "Longest without progress"),
    "stuck.since": ("Laatste voortgang", "Last progress"),
    "stuck.idle": ("Dagen stil", "Days idle"),
    # the run of a case in the workflow engine (Temporal's Web UI): for the beheerder, who can
    # see there what goes wrong; a coordinator passes the link on
    "stuck.technical": ("Technische details", "Technical details"),
    "stuck.for_admin": ("Voor de beheerder", "For the administrator"),
    "stuck.none": ("Geen.", "None."),
    "stuck.not_recorded": (
        "Gestart, maar geen stap vastgelegd",
        "Started, but no step recorded",
    ),
    "stuck.not_recorded_explain": (
        "Zaken die na tien minuten nog niet zijn begonnen: Traject kan de eerste stap van deze"
        " zaken niet vastleggen. Meld het bij de beheerder, met de zaaknummers; de beheerder ziet"
        " bij 'Technische details' wat er misgaat.",
        "Cases that have not begun after ten minutes: Traject cannot record the first step of"
        " these cases. Report it to the administrator, with the case numbers; the administrator"
        " sees under 'Technical details' what goes wrong.",
    ),
    "stuck.overdue_in_temporal": (
        "Technische details van alle te late zaken (voor de beheerder)",
        "Technical details of every overdue case (for the administrator)",
    ),
    "board.explain": (
        "Voortgang van alle lopende trajecten, zonder namen: elke deelnemer heeft een vaste code.",
        "Progress of every open trajectory, without names: each participant has a fixed code.",
    ),
    "board.code": ("Code", "Code"),
    "board.weeks": ("Weken", "Weeks"),
    "board.phase": ("Fase", "Phase"),
    "board.tasks": ("Taken afgerond", "Tasks done"),
    "report.value": ("Waarde", "Value"),
    "report.unit": ("Eenheid", "Unit"),
    "report.months": ("maanden", "months"),
    "report.open_at_end": (
        "Lopend aan het einde van het kwartaal",
        "Open at the end of the quarter",
    ),
    "report.median_throughput": ("Mediane doorlooptijd", "Median throughput time"),
    "report.print": ("Afdrukken", "Print"),
    "report.made": ("gemaakt op", "made on"),
    "report.explain": (
        "Doorlooptijden: trajecten die in het kwartaal eindigden. Ladder: zaken die de genoemde"
        " looptijd in het kwartaal bereikten. Indicatoren: zie het dashboard.",
        "Throughput: trajectories that ended in the quarter. Ladder: cases that reached the"
        " duration named in the quarter. Indicators: see the dashboard.",
    ),
}

ROLES = {  # a user role: (nl, en)
    "designer": ("procesontwerper", "process designer"),
    "caseworker": ("medewerker", "case worker"),
    "volunteer": ("vrijwilliger", "volunteer"),
    "coordinator": ("coördinator", "coordinator"),
    "admin": ("beheerder", "administrator"),
}


def decimal(value: float, lang: str, digits: int = 1) -> str:
    """A number with `digits` decimals as the page's language writes it: 97,0 in Dutch (also
    the language of a page that asks for neither)."""
    text = f"{value:.{digits}f}"
    return text if lang == "en" else text.replace(".", ",")


def role_name(role: str, lang: str) -> str:
    """A role as the pages name it (the role's code when it is not one of Traject's)."""
    names = ROLES.get(role)
    return names[LANGUAGES.index(lang) if lang in LANGUAGES else 0] if names else role


def role_names(roles: Iterable[str], lang: str) -> str:
    """A user's roles as the pages list them: named in `lang`, in alphabetical order."""
    return ", ".join(sorted(role_name(r, lang) for r in roles))


ACTORS = {  # who did it when it was not a person: the actor as the code writes it, (nl, en)
    "system": ("Traject (systeem)", "Traject (system)"),  # the service's own calls
    "cli": ("Opdrachtregel (beheer)", "Command line (administration)"),  # traject users/cases
    "retention": ("Bewaartermijn (automatisch)", "Retention period (automatic)"),
    "traject up": ("Traject (ingebouwd)", "Traject (built-in)"),  # seed.BUILT_IN_BY
}


def actor_name(actor: str, names: dict[str, str], lang: str) -> str:
    """Who did something, as the pages say it: a person by their name (`names`: 'user:<id>' →
    display name), Traject itself or a command line in words, anything else as it was written."""
    if actor in names:
        return names[actor]
    words = ACTORS.get(actor)
    return words[LANGUAGES.index(lang) if lang in LANGUAGES else 0] if words else actor


def length_words(text: str, lang: str) -> str:
    """A termijn length in words: 'P2M' → '2 maanden' (en: '2 months'), '10 werkdagen' → '10
    werkdagen' ('10 working days'); what is no length as it was written."""
    length = written_length(text)
    if length is None:
        return text
    one, more = _UNIT_WORDS[length.unit.value][1 if lang == "en" else 0]
    return f"{length.n} {one if length.n == 1 else more}"


_UNIT_WORDS = {  # a termijn's unit: ((nl one, nl more), (en one, en more))
    "days": (("dag", "dagen"), ("day", "days")),
    "weeks": (("week", "weken"), ("week", "weeks")),
    "months": (("maand", "maanden"), ("month", "months")),
    "years": (("jaar", "jaar"), ("year", "years")),
    "werkdagen": (("werkdag", "werkdagen"), ("working day", "working days")),
}


def _longest_extension(found: re.Match[str]) -> str:
    longest = length_words(found.group(1), "nl")
    return f"Deze termijn mag met niet meer dan {longest} verlengd worden."


def _other_group(found: re.Match[str]) -> str:
    return f"Deze taak is voor de groep {in_words(found.group(1))}, en daar zit je niet in."


ROLE_GROUPS = {  # the people of a role, for "this is for …": (nl, en)
    "designer": ("procesontwerpers", "process designers"),
    "caseworker": ("medewerkers", "case workers"),
    "volunteer": ("vrijwilligers", "volunteers"),
    "coordinator": ("coördinatoren", "coordinators"),
    "admin": ("beheerders", "administrators"),
}


def _for_roles(roles: list[str], lang: str) -> str | None:
    """Who a page or change is for, when several roles may: 'medewerkers, coördinatoren en
    vrijwilligers' (en: 'case workers, coordinators and volunteers'); None for a role that is
    not one of Traject's."""
    index = 1 if lang == "en" else 0
    if not all(r in ROLE_GROUPS for r in roles):
        return None
    names = [ROLE_GROUPS[r][index] for r in roles]
    return f"{', '.join(names[:-1])} {'and' if lang == 'en' else 'en'} {names[-1]}"


def _needs_role(found: re.Match[str]) -> str:
    roles = found.group(1).split(" or ")
    several = _for_roles(roles, "nl") if len(roles) > 1 else None
    if several:  # not "de rol medewerker of coördinator of vrijwilliger"
        return f"Dit is alleen voor {several}."
    return f"Hiervoor heb je de rol {' of '.join(role_name(r, 'nl') for r in roles)} nodig."


def _needs_role_en(found: re.Match[str]) -> str:
    roles = found.group(1).split(" or ")
    several = _for_roles(roles, "en") if len(roles) > 1 else None
    return f"This is only for {several}." if several else found.string


# A message: (Dutch, English), each a re.sub template, a function of the match, or None: the
# text as it came (the service's own English).
Said = str | Callable[[re.Match[str]], str] | None
_MESSAGES: list[tuple[re.Pattern[str], tuple[Said, Said]]] = [
    (re.compile(p), texts)
    for p, texts in (
        (r"^required: answer yes or no$", ("Verplicht: kies ja of nee", "Required: yes or no")),
        (r"^required$", ("Dit veld is verplicht", "This field is required")),
        (
            r"^this task is claimed by someone else",
            (
                "Deze taak is opgepakt door iemand anders: vraag die collega of een coördinator.",
                "This task is claimed by someone else: ask them or a coordinator.",
            ),
        ),
        (r"^must be a whole number$", ("Vul een heel getal in", "Enter a whole number")),
        (r"^must be a (finite )?number$", ("Vul een getal in", "Enter a number")),
        (r"^must be a date", ("Vul een datum in (jjjj-mm-dd)", "Enter a date (yyyy-mm-dd)")),
        (r"^at least (.+)$", ("Minimaal \\1", "At least \\1")),
        (r"^at most (\d+) characters$", ("Maximaal \\1 tekens", "At most \\1 characters")),
        (r"^at most (.+)$", ("Maximaal \\1", "At most \\1")),
        (r"^choose (one of|from): (.+)$", ("Kies uit: \\2", "Choose from: \\2")),
        (r"^a participatieladder step is 1 to 6$", ("Kies een trede van 1 tot 6", "A step 1 to 6")),
        (
            r"^the date lies in the future$",
            ("De datum ligt in de toekomst: leg een gebeurtenis vast als die gebeurd is.", None),
        ),
        (r"^not after today$", ("Niet na vandaag", "Not after today")),
        (r"^not a valid BSN", ("Geen geldig BSN (9 cijfers, elfproef)", "Not a valid BSN")),
        (
            r"^say why: the note is shown with the version$",
            ("Zeg waarom: de toelichting staat bij de versie.", "Say why this version."),
        ),
        (r"^the draft is empty$", ("Het concept is leeg.", "The draft is empty.")),
        (
            r"^the draft is larger than (\d+) bytes$",
            ("Het concept is groter dan \\1 bytes.", "The draft is larger than \\1 bytes."),
        ),
        (
            r"^the draft holds a character that is not text$",
            (
                "Het concept bevat een teken dat geen tekst is.",
                "The draft holds a non-text character.",
            ),
        ),
        (
            r"^your account has no Traject role",
            ("Je account heeft geen rol in Traject: vraag je beheerder.", "No Traject role."),
        ),
        (
            r"^the form is stale or forged",
            (
                "Het formulier is verlopen of niet van deze sessie: laad de pagina opnieuw.",
                "the form is stale or forged: reload the page and try again",
            ),
        ),
        (
            r"^(the sign-in could not be verified|this sign-in is stale or forged)",
            ("Het inloggen kon niet worden gecontroleerd: probeer opnieuw.", "Sign-in failed."),
        ),
        # Refusals of the service (traject/service.py, casework.py, team.py, the workflow): the
        # Dutch pages say them in Dutch; the English pages and the API keep the service's text.
        (r"^no such page$", ("Deze pagina bestaat niet.", "There is no such page.")),
        (r"^no case '(.+)'$", ("Er is geen zaak '\\1'.", None)),
        (r"^no task (.+)$", ("Er is geen taak \\1.", None)),
        (r"^no user (.+)$", ("Er is geen gebruiker \\1.", None)),
        # not a definition's problem "no definition 'x' (did you mean 'y'?)": i18n_definition
        (r"^no definition '([^']+)'$", ("Er is geen definitie '\\1'.", None)),
        (r"^no built-in definition '(.+)'$", ("Er is geen ingebouwde definitie '\\1'.", None)),
        (r"^no draft of '(.+)'$", ("Er is geen concept van '\\1'.", None)),
        (r"^no version (.+)$", ("Er is geen versie \\1.", None)),
        # the designer's refusals (designer.py, designer_pages.py, designer_start.py, the store)
        (
            r"^no published version (\d+) of '(.+)'$",
            ("Er is geen gepubliceerde versie \\1 van '\\2'.", None),
        ),
        (r"^choose the cases to move$", ("Kies de zaken die je wilt overzetten.", None)),
        (r"^case '(.+)' does not run '(.+)'$", ("Zaak '\\1' loopt niet op '\\2'.", None)),
        (
            r"^you publish for (.+), not (.+)$",
            ("Deze definitie is van gemeente \\2; je publiceert voor \\1.", None),
        ),
        (
            r"^(.+) is already published with other content: raise 'version' to publish a change$",
            (
                "\\1 is al gepubliceerd met een andere inhoud: verhoog 'version' om een wijziging"
                " te publiceren.",
                None,
            ),
        ),
        (
            r"^\d+ scenario\(s\) fail on this version: (.+)$",
            (
                "Niet gepubliceerd: deze scenario's slagen niet met deze versie: \\1. Pas de"
                " definitie aan, of kruis aan dat je toch publiceert als het proces bewust is"
                " veranderd.",
                "Not published: these scenarios fail on this version: \\1. Change the"
                " definition, or tick that you publish anyway when the process changed on purpose.",
            ),
        ),
        (
            r"^'(.+)' is already yours: make a new version$",
            ("'\\1' heb je al: maak een nieuwe versie.", None),
        ),
        (
            r"^no termijn '(.+)' in this trajectory$",
            ("Dit traject heeft geen termijn '\\1'.", None),
        ),
        (
            r"^task '.+' is claimed by someone else",
            (
                "Deze taak is opgepakt door iemand anders: vraag die collega of een coördinator.",
                None,
            ),
        ),
        (r"^task \d+ is completed$", ("Deze taak is al afgerond.", None)),
        (r"^task (\d+|'.+') is (not open|[a-z_]+)$", ("Deze taak staat niet (meer) open.", None)),
        (
            r"^this task is for the group '(.+)', which you are not in$",
            (_other_group, None),
        ),
        (r"^this needs the role (.+)$", (_needs_role, _needs_role_en)),
        (
            r"^all tasks of the municipality are for coordinators$",
            ("Alle taken van de gemeente zijn alleen voor coördinatoren.", None),
        ),
        (
            r"^the trajectory (has ended|has already ended|was cancelled)$",
            ("Dit traject is beëindigd.", None),
        ),
        (
            r"^the trajectory has not taken its first step yet$",
            ("Het traject start nog: probeer het zo opnieuw.", None),
        ),
        (
            r"^the trajectory is suspended: resume it first$",
            ("Het traject is opgeschort: hervat het eerst.", None),
        ),
        (r"^the trajectory is not suspended$", ("Het traject is niet opgeschort.", None)),
        (
            r"^'(.*)' is not a termijn length: write .*$",
            (
                "'\\1' is geen termijnlengte: schrijf bijvoorbeeld 6 weken, 2 maanden, 10"
                " werkdagen of P2M.",
                None,
            ),
        ),
        (r"^\w+ can be extended by at most (\S+)$", (_longest_extension, None)),
        (
            r"^\w+ allows at most (\d+) extension\(s\)$",
            ("Deze termijn mag niet vaker dan \\1 keer verlengd worden.", None),
        ),
        (r"^the form is not valid$", ("Het formulier is niet goed ingevuld: zie de velden.", None)),
        (r"^names and references are plain text$", ("Namen en kenmerken zijn gewone tekst.", None)),
        (r"^a date is YYYY-MM-DD$", ("Een datum is jjjj-mm-dd.", None)),
        (
            r"^you may not (suspend|resume|extend) the termijn '(.+)'$",
            ("Je mag de termijn '\\2' niet aanpassen.", None),
        ),
        (
            r"^you cannot deactivate yourself",
            (
                "Je kunt jezelf niet uitschakelen: vraag een andere coördinator of een beheerder.",
                None,
            ),
        ),
        (
            r"^only an admin may deactivate or activate an admin$",
            ("Alleen een beheerder mag een beheerder uit- of inschakelen.", None),
        ),
        (r"^this account is switched off$", ("Dit account is uitgeschakeld.", None)),
        (r"^(\d+) problem\(s\) in the definition$", ("Problemen in de definitie: \\1.", None)),
        (
            r"^there is no migration to undo",
            (
                "Het overzetten kan niet ongedaan worden gemaakt: de zaak is sindsdien verder"
                " gegaan, of er is niets om ongedaan te maken.",
                None,
            ),
        ),
    )
]


def language(accept_language: str | None) -> str:
    """English only when the browser puts it before Dutch; Dutch otherwise."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "nl"


def translator(lang: str) -> Callable[[str], str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str) -> str:
        texts = TEXT.get(key)
        return texts[index] if texts else key

    return t


def message(text: str, lang: str) -> str:
    """A message of the service, of a form check, about a definition (`i18n_definition`) or of
    the designer's pages (`i18n_designer`), as the pages say it in `lang`."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    for pattern, texts in _MESSAGES:
        found = pattern.search(text)
        if found:
            said = texts[index]
            if said is None:
                return text
            if callable(said):
                return said(found)
            return pattern.sub(said, text) if pattern.pattern.endswith("$") else said
    if index == 0:  # a definition's problems (loader, compiler), what changes between versions,
        # a scenario's failure, a refused migration: English on the English pages
        return i18n_definition.dutch(text) or i18n_designer.dutch(text) or text
    return text
