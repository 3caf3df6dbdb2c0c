"""The demo's session notes: a year of the national network's weekly huddle, written as a
note-taker writes them, and a few drafts that still name people and places.

The published notes are clean by construction: no names, no organisations, no wards, no
dates, no acronyms (the network's own rule), so the identifier check finds nothing in them.
Each week's note is assembled from paragraph templates (a topic's opening, what people
shared, what to take away, what is still open), chosen and ordered by a seeded random
generator, so a year of them reads like a year of different conversations and the same
data loads every time.
"""

import random
from dataclasses import dataclass

THEMES = [
    "Incident response and learning",
    "Human factors",
    "Just culture and psychological safety",
    "Involving patients and families",
    "Medication safety",
    "Deterioration and escalation",
    "Safety culture and leadership",
    "Measurement and data",
    "Safety education and training",
    "Staff wellbeing",
    "Digital systems and safety",
    "Working across organisations",
]


@dataclass(frozen=True)
class Topic:
    title: str
    themes: tuple[str, ...]
    opening: str
    shared: tuple[str, ...]
    learning: tuple[str, ...]
    open_question: str


TOPICS = [
    Topic(
        "Moving from root cause analysis to learning responses",
        ("Incident response and learning",),
        "We picked up where several members left off last month: how to move a team used to "
        "long investigation reports towards shorter, proportionate learning responses.",
        (
            "One organisation now holds a weekly safety huddle where new incidents are "
            "triaged together, and most are closed with a short conversation rather than a "
            "full review.",
            "A patient safety specialist described keeping a single page that sets out which "
            "method to use for which kind of event, and said it stopped most of the arguments "
            "before they started.",
            "Several people found that the hardest part was letting go of counting reports "
            "completed; boards still ask for numbers, so they now report themes and actions "
            "instead.",
            "A member who had just finished an after action review said that asking the team "
            "what normally happens, rather than what went wrong, changed the tone of the room.",
            "Someone from a community provider pointed out that staff who work alone need a "
            "different route into learning conversations, because they are rarely on site "
            "together.",
        ),
        (
            "Agree the method before the meeting, and tell staff what to expect from it.",
            "Report themes and improvement work to the board, not only the number of reviews.",
            "Keep the first conversation with the people involved short, kind and early.",
            "Write the learning in plain words that a new starter would understand.",
        ),
        "How do we show regulators that a shorter response can be a better one?",
    ),
    Topic(
        "Thematic reviews that lead to change",
        ("Incident response and learning", "Measurement and data"),
        "The group talked about thematic reviews: when they are worth the effort, and how to "
        "stop them becoming a report that nobody reads.",
        (
            "A member shared a review of falls that looked at every event over two years and "
            "found that most happened in the first three nights after a move between areas.",
            "Another said their best thematic work started with a question from frontline "
            "staff, not from the governance team.",
            "People agreed that a theme needs an owner who can change something; otherwise "
            "the same findings come back a year later.",
            "One person described testing each recommendation with the staff who would carry "
            "it out before it went anywhere near a committee.",
        ),
        (
            "Start with a question that people on the ground care about.",
            "Name an owner for each theme who has the authority to act.",
            "Go back after six months and ask whether anything is different.",
        ),
        "Can we share thematic reviews across the network without anyone being identified?",
    ),
    Topic(
        "Designing for the tired and the busy",
        ("Human factors",),
        "This week's conversation was about human factors, and in particular about designing "
        "work so that it is safe at four in the morning, not only at ten in the morning.",
        (
            "A member described redesigning a checklist after watching how it was really "
            "used: half the items were ticked from memory at the end of a shift.",
            "Several people said that the same two medicines kept in look-alike packaging "
            "were still a problem, and that separating them on the shelf had helped more "
            "than any reminder.",
            "Someone who trained as an engineer suggested walking through a task with the "
            "people who do it and timing each step; the delays are usually where the risk is.",
            "One group had stopped adding new warnings to their electronic record, because "
            "staff had learned to click through all of them.",
            "People noted that interruptions during medicine rounds remain common, and that "
            "a visible signal asking others not to interrupt works for a while, then fades.",
        ),
        (
            "Watch the work as it is done before changing how it is meant to be done.",
            "Remove a step before adding a new one.",
            "Treat alert fatigue as a safety risk in its own right.",
        ),
        "Who in our organisations has the time and the skills to do human factors work?",
    ),
    Topic(
        "Handover and the space between teams",
        ("Human factors", "Working across organisations"),
        "We talked about handover: between shifts, between teams, and between organisations "
        "when a patient moves from one service to another.",
        (
            "A member shared a structured handover that fits on one screen and includes a "
            "line for what the next team should worry about.",
            "Several people said that handovers go wrong most often at weekends and when "
            "temporary staff are covering, because the unwritten rules are not passed on.",
            "One person described a simple rule: nobody leaves until the person taking over "
            "has repeated back the most important point.",
            "Someone working in a community setting said discharge letters often arrive after "
            "the patient does, and that a phone call the day before makes a real difference.",
        ),
        (
            "Keep handover tools short enough that people actually use them.",
            "Ask the receiving team what they need, rather than assuming.",
            "Look at handovers at weekends and nights separately: the risks are different.",
        ),
        "How could the network collect examples of good handover tools to share?",
    ),
    Topic(
        "What a just culture looks like on a bad day",
        ("Just culture and psychological safety",),
        "The conversation turned to just culture: not the policy, but what staff actually "
        "experience after something has gone wrong.",
        (
            "A member said staff in their organisation still ask whether they are in trouble "
            "before they ask what happened, and that this tells you most of what you need to "
            "know.",
            "Several people use a simple decision aid with managers, so that the first "
            "question after an incident is about the system and not about the person.",
            "Someone described a colleague who had been involved in a serious event and who "
            "said the most helpful thing was being told early that support was available.",
            "People agreed that one unfair response, remembered for years, can undo a great "
            "deal of careful work.",
            "A member pointed out that a just culture also needs accountability, and that "
            "staff want to see repeated unsafe behaviour dealt with fairly.",
        ),
        (
            "Make the first conversation after an incident about what happened, not who.",
            "Offer support to staff involved straight away, and say so in writing.",
            "Explain decisions about individuals openly, so that fairness can be seen.",
        ),
        "How do we know whether staff believe the culture has changed?",
    ),
    Topic(
        "Speaking up when hierarchy gets in the way",
        ("Just culture and psychological safety", "Safety culture and leadership"),
        "We spent the session on speaking up, and on the moments when seniority makes it "
        "hard for someone to say that they are worried.",
        (
            "A member described agreeing a shared phrase that anyone can use to pause a "
            "procedure, whatever their grade, and said it is now used every week.",
            "Several people said that how a senior colleague reacts the first time someone "
            "speaks up decides whether they ever do it again.",
            "One person said newly qualified staff in their organisation are told on their "
            "first day that raising a concern is part of the job, not a favour.",
            "Someone noted that speaking up is harder still for agency staff and students, "
            "who may not know anyone on the team.",
        ),
        (
            "Thank people who speak up, every time, even when the worry turns out to be wrong.",
            "Give everyone the same words for stopping the line.",
            "Ask senior staff to invite challenge out loud at the start of a shift.",
        ),
        "What would help our speaking up guardians and patient safety teams work together?",
    ),
    Topic(
        "Involving families in learning responses",
        ("Involving patients and families", "Incident response and learning"),
        "The group talked about involving patients and families when something has gone "
        "wrong, and how to do it well rather than as a formality.",
        (
            "A member said the most useful change had been a named contact for each family, "
            "who keeps in touch even when there is nothing new to say.",
            "Several people described families asking questions that the review team had not "
            "thought of, and said those questions often led to the most important learning.",
            "Someone said that letters written in the language of governance had caused "
            "upset, and that plain words and a phone call beforehand had helped.",
            "One patient safety partner reminded the group that families can be involved in "
            "setting the questions for a review, not only in hearing the answers.",
            "People agreed that being open about what is not yet known is better than "
            "waiting until everything is certain.",
        ),
        (
            "Offer families a named contact, and keep in touch on a regular rhythm.",
            "Invite families to shape the questions a review will ask.",
            "Read every letter aloud before it is sent: would you want to receive it?",
        ),
        "How can we support staff who find these conversations hard?",
    ),
    Topic(
        "Patient safety partners at the table",
        ("Involving patients and families", "Safety culture and leadership"),
        "This week we heard from several patient safety partners about what helps them take "
        "a full part in safety work, and what gets in the way.",
        (
            "One partner said papers that arrive the night before a meeting make it almost "
            "impossible to contribute; a week's notice is what they ask for.",
            "Another described being invited to every committee but to none of the "
            "conversations where decisions were actually made.",
            "Several members said a short induction, a buddy and a clear role description "
            "had made the biggest difference to new partners.",
            "A partner said the best meetings start by asking them what they noticed, not "
            "what they think of a finished plan.",
        ),
        (
            "Send papers early, with a short summary in plain words.",
            "Involve partners at the start of a piece of work, not at sign-off.",
            "Pay partners fairly and on time for the work they do.",
        ),
        "How could partners from different organisations support one another through the network?",
    ),
    Topic(
        "Safer medicines at the point of care",
        ("Medication safety", "Human factors"),
        "We talked about medicines safety, starting from the everyday errors that rarely make "
        "it into a report.",
        (
            "A pharmacist described checking a sample of medicine charts every week with the "
            "nurse in charge, and said it finds more than the reporting system does.",
            "Several people said omitted and delayed doses remain their most common medicine "
            "incident, particularly for time-critical medicines.",
            "One member shared a simple visual prompt on the medicines trolley for the few "
            "medicines that must never be late.",
            "Someone noted that electronic prescribing solved some problems and created new "
            "ones, such as selecting the wrong item from a long drop-down list.",
            "People agreed that involving patients in checking their own medicines, where "
            "they are able to, catches errors that staff miss.",
        ),
        (
            "Focus on omitted and delayed doses of time-critical medicines first.",
            "Look at how electronic systems are used, not only how they are configured.",
            "Invite patients to check their own medicines where they can.",
        ),
        "What is the best way to share medicines learning quickly across organisations?",
    ),
    Topic(
        "Recognising and responding to deterioration",
        ("Deterioration and escalation",),
        "The session was about deterioration: spotting it early, escalating it, and making "
        "sure someone responds in time.",
        (
            "A member said their early warning scores were recorded well, but that what "
            "happened next varied a great deal between teams.",
            "Several people described families noticing that something was wrong before "
            "staff did, and said a clear way for families to ask for a review had helped.",
            "Someone shared that escalation often stalls at night, when the person called "
            "is covering a very large area.",
            "One group had started a short debrief after every unplanned transfer to "
            "intensive care, asking what the first sign had been.",
        ),
        (
            "Look at the response to a high score, not only whether the score was recorded.",
            "Give families a simple way to raise a concern about deterioration.",
            "Debrief unplanned transfers and ask when the first sign appeared.",
        ),
        "How do we measure whether escalation is working, rather than whether it is recorded?",
    ),
    Topic(
        "Sepsis and the first hour",
        ("Deterioration and escalation", "Safety education and training"),
        "We talked about sepsis, and the gap between knowing the guidance and acting on it "
        "in the first hour.",
        (
            "A member said that most delays they had reviewed happened before anyone had "
            "written the word sepsis down, while the patient was simply unwell and waiting.",
            "Several people described simulation sessions on recognising sepsis that included "
            "the whole team, not only doctors and nurses.",
            "Someone noted that screening tools can become a box to tick, and that asking "
            "whether this could be sepsis out loud still matters most.",
            "One person shared a short audit that looked at the time from first concern to "
            "first antibiotic, and found the longest waits were at shift changes.",
        ),
        (
            "Ask the question aloud: could this be sepsis?",
            "Train whole teams together, including staff who are not clinical.",
            "Look closely at what happens at shift changes.",
        ),
        "Would members find it useful to compare audit methods at a future huddle?",
    ),
    Topic(
        "What boards need to hear about safety",
        ("Safety culture and leadership", "Measurement and data"),
        "The group discussed how patient safety is reported to boards, and what a board "
        "needs to hear to ask the right questions.",
        (
            "A member said their board used to receive a long table of incident numbers, and "
            "that replacing it with three stories and one chart had changed the discussion.",
            "Several people described board members who now visit clinical areas with a "
            "safety focus and ask staff what worries them.",
            "Someone warned that a fall in reported incidents is often read as good news when "
            "it may mean that staff have stopped reporting.",
            "One person said their executive team now hears directly from staff who were "
            "involved in a learning response, with their agreement.",
            "People agreed that leaders saying sorry in public when things go wrong makes it "
            "easier for everyone else to be open.",
        ),
        (
            "Pair numbers with stories, and explain what the numbers can and cannot show.",
            "Treat a drop in reporting as a question, not a success.",
            "Help board members hear directly from staff, safely.",
        ),
        "How can we help new board members understand patient safety quickly?",
    ),
    Topic(
        "Leading safety work without a big team",
        ("Safety culture and leadership", "Staff wellbeing"),
        "We talked about leading safety work in small organisations and small teams, where "
        "one or two people carry a great deal.",
        (
            "A member working alone in a small provider described sharing tasks with a "
            "neighbouring organisation, such as reviewing each other's learning responses.",
            "Several people said the network itself is a large part of how they keep going, "
            "because it is the one place where others understand the role.",
            "Someone suggested agreeing with their manager what they will stop doing each "
            "time something new is added.",
            "One person said that training a few safety champions in each team had spread "
            "the work and the knowledge.",
        ),
        (
            "Agree what stops when something new starts.",
            "Build a small group of champions rather than doing everything yourself.",
            "Use peers outside your organisation for review and support.",
        ),
        "Could the network pair members in similar roles for peer support?",
    ),
    Topic(
        "Measuring safety without drowning in data",
        ("Measurement and data",),
        "This week's huddle looked at measurement: which measures help, and which only create "
        "work.",
        (
            "A member described using run charts instead of monthly comparisons, and said it "
            "had stopped the board reacting to every rise and fall.",
            "Several people said they collect far more data than they use, and had started "
            "asking who acts on each measure before collecting it.",
            "Someone shared a simple measure of safety culture: asking staff each quarter "
            "whether they would feel safe being treated in their own area.",
            "One person reminded the group that measures need to be explained to the staff "
            "who produce the data, or the data quality falls.",
        ),
        (
            "Use run charts and look for patterns over time.",
            "Stop collecting measures that nobody acts on.",
            "Tell staff what their data showed and what changed because of it.",
        ),
        "Which measures would members most like to compare across the network?",
    ),
    Topic(
        "Making sense of incident reporting data",
        ("Measurement and data", "Incident response and learning"),
        "We talked about incident reporting data: what it can tell us, and its limits.",
        (
            "A member said that reporting is highest where the culture is strongest, so a "
            "team with many reports may well be the safest one.",
            "Several people described reading a sample of reports in full every month, "
            "because the free text says far more than the categories do.",
            "Someone pointed out that some staff groups report much less than others, and "
            "that this gap is itself worth looking into.",
            "One person shared how they feed back to every reporter within a week, and said "
            "reporting rose once staff saw that someone read what they wrote.",
        ),
        (
            "Read the free text, not only the categories.",
            "Feed back to reporters quickly and personally.",
            "Look for staff groups who rarely report, and ask why.",
        ),
        "How should we describe the limits of reporting data to boards?",
    ),
    Topic(
        "Teaching patient safety to new starters",
        ("Safety education and training",),
        "The group discussed how patient safety is taught to new starters, and how to make it "
        "more than a slide in an induction day.",
        (
            "A member described replacing a lecture with a short story from a real learning "
            "response, told with the agreement of those involved.",
            "Several people said that new starters remember what their first team does far "
            "more than anything they hear at induction.",
            "Someone shared a simple exercise: new staff walk through their area and note "
            "three things that could harm a patient.",
            "One person said they now include staff who are not clinical, such as porters "
            "and receptionists, because they see risks that others miss.",
            "People agreed that the national patient safety syllabus is a useful frame, but "
            "that it needs local examples to come alive.",
        ),
        (
            "Teach through real stories, shared with consent.",
            "Include every staff group in safety training.",
            "Support first teams to model the behaviour taught at induction.",
        ),
        "Could members share training materials through the network's library?",
    ),
    Topic(
        "Simulation as a way of learning",
        ("Safety education and training", "Human factors"),
        "We talked about simulation: in the skills room, and in the real place of work.",
        (
            "A member described running short simulations in clinical areas during quiet "
            "periods, and said they found problems with equipment that no one had noticed.",
            "Several people said that the debrief matters more than the scenario, and that "
            "facilitators need training to run it well.",
            "Someone shared that simulating a new pathway before it goes live had found "
            "three steps that did not work.",
            "One person said simulation works best when it feels safe to get things wrong, "
            "and that this has to be said at the start every time.",
        ),
        (
            "Test new pathways and equipment through simulation before they go live.",
            "Invest in training the people who run debriefs.",
            "Say clearly at the start that mistakes in simulation are expected.",
        ),
        "How do we find the time for staff to take part in simulation?",
    ),
    Topic(
        "Looking after staff after harm",
        ("Staff wellbeing", "Just culture and psychological safety"),
        "The session was about the staff involved when a patient is harmed, and the support "
        "they need in the days and months after.",
        (
            "A member said staff often describe the investigation as harder than the event "
            "itself, because of the waiting and the silence.",
            "Several people described peer support schemes where trained colleagues contact "
            "staff within a day or two of a serious event.",
            "Someone noted that support needs to reach staff on nights, part-time staff and "
            "those employed through agencies.",
            "One person shared that a short note from a senior leader, simply saying thank "
            "you for being open, had meant a great deal to a colleague.",
        ),
        (
            "Contact staff involved within a day or two, and keep in touch.",
            "Make support available to every staff group, whatever their contract.",
            "Tell staff how long each step of a review is likely to take.",
        ),
        "What would a network-wide guide to supporting staff after harm need to include?",
    ),
    Topic(
        "Workload, fatigue and safety",
        ("Staff wellbeing", "Human factors"),
        "We talked about workload and fatigue, and how tiredness shows up in safety events.",
        (
            "A member said that many of the events they review happen towards the end of "
            "long shifts, but that fatigue is rarely recorded as a factor.",
            "Several people described rest areas being removed to make space for clinical "
            "work, and the effect this had on breaks.",
            "Someone shared a campaign encouraging staff to take their breaks, supported by "
            "managers who covered for them.",
            "One person said that asking staff how rested they feel at the start of a shift "
            "had opened up useful conversations.",
        ),
        (
            "Ask about fatigue in every learning response.",
            "Protect rest areas and breaks as safety measures.",
            "Let staff say when they are too tired, without blame.",
        ),
        "How can we make the case for rest facilities to those who decide on space?",
    ),
    Topic(
        "Electronic records and new safety risks",
        ("Digital systems and safety",),
        "This week's conversation was about digital systems: the risks they remove and the "
        "new ones they bring.",
        (
            "A member described a change to an electronic record that moved an important "
            "button, and the near misses that followed in the first week.",
            "Several people said digital changes should go through the same safety review as "
            "any other change to clinical practice.",
            "Someone shared that clinical safety officers and patient safety teams rarely "
            "meet, and that bringing them together had been worthwhile.",
            "One person noted that workarounds, such as keeping paper notes beside the "
            "screen, tell you where the system does not fit the work.",
        ),
        (
            "Review digital changes for safety before they go live.",
            "Bring digital safety and patient safety teams together regularly.",
            "Treat workarounds as a sign that the design needs another look.",
        ),
        "Would a session with digital safety colleagues be useful to members?",
    ),
    Topic(
        "Test results that fall through the gaps",
        ("Digital systems and safety", "Working across organisations"),
        "We talked about test results that are not seen or not acted on, particularly when "
        "care moves between services.",
        (
            "A member said the riskiest results are those requested by one team and returned "
            "after the patient has moved to another.",
            "Several people described systems that require a named person to acknowledge "
            "each result, and the difference it had made.",
            "Someone pointed out that patients can be a safety net if they know which results "
            "to expect and when.",
            "One person shared that results for patients discharged at weekends were the "
            "most likely to be missed.",
        ),
        (
            "Make one named person responsible for acting on each result.",
            "Tell patients which results to expect, and who to ask if they hear nothing.",
            "Pay particular attention to results that return after discharge.",
        ),
        "How can organisations share responsibility for results when care is shared?",
    ),
    Topic(
        "Learning across organisational boundaries",
        ("Working across organisations",),
        "The group discussed learning across organisations, where a patient's journey crosses "
        "several services and no one sees the whole picture.",
        (
            "A member described a joint learning response across hospital, community and "
            "primary care, and said agreeing who would lead it took longer than the review.",
            "Several people said that shared learning events with neighbouring organisations "
            "had built trust that helped when something went wrong.",
            "Someone noted that care homes and hospices are often left out of learning that "
            "directly affects them.",
            "One person shared a simple agreement between organisations about how to raise a "
            "concern with each other, and said it is used far more than expected.",
        ),
        (
            "Agree in advance how joint learning responses will be led.",
            "Include care homes, hospices and community services in shared learning.",
            "Make it easy for organisations to raise concerns with one another.",
        ),
        "Could the network help members find counterparts in other kinds of organisation?",
    ),
    Topic(
        "The patient safety role in a changing system",
        ("Working across organisations", "Safety culture and leadership"),
        "We talked about how patient safety roles are changing as organisations work more "
        "closely together across local areas.",
        (
            "A member said their role now includes oversight of learning in several smaller "
            "providers, with no extra time to do it.",
            "Several people described regional networks that meet every month and share "
            "learning responses with the identifying details removed.",
            "Someone noted that patient safety specialists in commissioning roles need "
            "access to frontline learning, not only to reports.",
            "One person said that clear agreements about what is shared, and with whom, had "
            "made colleagues far more willing to take part.",
        ),
        (
            "Be clear about what is shared between organisations, and with whom.",
            "Build regular local forums for sharing learning.",
            "Keep a line of sight to frontline practice, whatever the role.",
        ),
        "What should the network ask of national bodies about these changing roles?",
    ),
]

OPENINGS = (
    "Around {count} people joined this week's huddle.",
    "{count} members came along this week, several for the first time.",
    "A smaller group than usual this week, about {count} people, which made for a more "
    "open conversation.",
    "This week's huddle was busy, with about {count} people joining.",
    "About {count} members joined, from a wide range of roles and organisations.",
)
WELCOMES = (
    "The facilitator reminded everyone of the ground rules and that these notes name no one.",
    "We began with the ground rules: nothing said here is attributed to anyone.",
    "As always, the session was not recorded, and these notes are written so that no one can "
    "be identified.",
)
CLOSINGS = (
    "Thank you to everyone who shared so openly.",
    "Thank you to all who took part. The conversation will continue at the next huddle.",
    "Members are welcome to suggest topics for future huddles through the network's chairs.",
    "If you would like to continue this conversation, please raise it at a future huddle.",
)


@dataclass(frozen=True)
class DemoNote:
    title: str
    body: str
    themes: list[str]


def weekly_note(week: int, attendance: int) -> DemoNote:
    """The note of the ``week``-th huddle of the year (0 the oldest): a topic in turn, with
    its points chosen and ordered afresh each time the topic comes round."""
    rng = random.Random(1000 + week)
    topic = TOPICS[(week * 7) % len(TOPICS)]
    shared = rng.sample(topic.shared, k=min(len(topic.shared), rng.randint(3, 4)))
    learning = rng.sample(topic.learning, k=min(len(topic.learning), rng.randint(2, 3)))
    opening = rng.choice(OPENINGS).format(count=attendance)
    parts = [
        f"{opening} {rng.choice(WELCOMES)}",
        "## What we talked about",
        topic.opening,
        "## What people shared",
        "\n".join(f"- {point}" for point in shared),
        "## Learning to take away",
        "\n".join(f"- {point}" for point in learning),
    ]
    if rng.random() < 0.7:
        parts += ["## Still to think about", topic.open_question]
    parts.append(rng.choice(CLOSINGS))
    title = topic.title if week < len(TOPICS) else f"{topic.title}, revisited"
    return DemoNote(title, "\n\n".join(parts), list(topic.themes))


def notes_with_findings(member: str, organisation: str) -> list[DemoNote]:
    """Drafts a tired note-taker might write: a member's name, their organisation, a ward, a
    patient's NHS number (a valid one: it passes the Modulus 11 check). The second reader
    has them waiting."""
    first = member.split()[0]
    return [
        DemoNote(
            "Learning from a missed deterioration",
            f"{member} from {organisation} talked us through a learning response about a "
            "patient whose early warning score rose over a night without anyone being "
            "called.\n\n"
            f"{first} said the team on Ward 36 had already changed how they hand over, and "
            "that the family had been involved from the start.\n\n"
            "- Escalation stalled at night\n- The family noticed first",
            ["Deterioration and escalation"],
        ),
        DemoNote(
            "A medicines error and what followed",
            "A member described a dose given twice because two charts were in use. The "
            "patient's NHS number, 943 476 5919, was on both, so the check at the bedside "
            "did not catch it.\n\n"
            f"The pharmacy team at {organisation} now keeps one chart per patient.",
            ["Medication safety"],
        ),
    ]


def draft_in_progress(member: str) -> DemoNote:
    """A note the note-taker is still writing (the editor shows what the check found)."""
    return DemoNote(
        "Speaking up: notes in progress",
        f"{member} opened the session on speaking up. Dr Patel said the phrase they agreed "
        "for pausing a procedure is used every week on the children's ward.\n\n"
        "- Thank people who speak up\n- Use the same words for stopping the line\n\n"
        "The PSIRF team is keen to hear more.",
        ["Just culture and psychological safety"],
    )
