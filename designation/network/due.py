"""What falls due: conditions, recommendations with plans, derogations expiring, evidence going
stale and re-designations, from a register, grouped by site and owner.

Formats: text, CSV (cells neutralised for spreadsheets), JSON, and iCalendar (``.ics``, via the
``icalendar`` package): one all-day event per item on its due date, each with reminders 30, 7
and 1 days before, so a network imports it into the calendar it already uses.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from ..errors import InputError

REMINDER_DAYS = (30, 7, 1)
SCHEMA = "designation.due/1"


def parse_within(text: str) -> int:
    """``30d``, ``4w``, ``6m`` (30-day months) or a bare number of days."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*([dwm]?)\s*", text or "", re.IGNORECASE)
    if not m:
        raise ValueError(f"{text!r} is not a period such as 30d, 4w or 3m")
    n, unit = int(m.group(1)), m.group(2).lower()
    return n * {"": 1, "d": 1, "w": 7, "m": 30}[unit]


def items(reg: Any, on: dt.date, within_days: int) -> dict[str, Any]:
    """Every item of a current (not stale) assessment due by ``on + within_days``, overdue first."""
    until = (on + dt.timedelta(days=within_days)).isoformat()
    rows = reg.query(
        "SELECT cs.submission_file, cs.site_code, cs.site_name, cs.network, cs.status AS outcome, "
        "d.assessment_id, d.kind, d.standard, d.title, d.what, d.owner, d.due "
        "FROM due_items d JOIN current_sites cs ON cs.assessment_id = d.assessment_id AND NOT cs.stale "
        "WHERE d.due <= ? ORDER BY cs.site_code, cs.submission_file, d.due, d.kind, d.standard", (until,))
    out = []
    for r in rows:
        try:
            due = dt.date.fromisoformat(r["due"])
        except (TypeError, ValueError):
            continue
        days = (due - on).days
        out.append({**r, "owner": r["owner"] or "owner not named", "days": days,
                    "state": "overdue" if days < 0 else "due today" if days == 0 else "due"})
    stale = reg.query("SELECT submission_file, site_code, site_name, state, last_run_id, problems "
                      "FROM current_sites WHERE stale ORDER BY submission_file")
    return {"schema": SCHEMA, "on": on.isoformat(), "within_days": within_days, "until": until,
            "overdue": sum(1 for i in out if i["state"] == "overdue"), "items": out, "stale_sites": stale}


def _when(days: int) -> str:
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "due today"
    return f"due in {days} day{'s' if days != 1 else ''}"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(d: dict[str, Any]) -> str:
    """For people: dates as the reports print them ("1 December 2026"); CSV, JSON and .ics keep ISO."""
    from ..report.view import long_date

    its = d["items"]
    sites = {(i["site_code"], i["submission_file"]) for i in its}
    width = max((len(long_date(i["due"])) for i in its), default=0)
    lines = [f"Due by {long_date(d['until'])} (on {long_date(d['on'])}, within {_n(d['within_days'], 'day')}): "
             f"{_n(len(its), 'item')} at {_n(len(sites), 'site')}, {d['overdue']} overdue"]
    for site_key in sorted(sites):
        site_items = [i for i in its if (i["site_code"], i["submission_file"]) == site_key]
        first = site_items[0]
        lines += ["", f"{first['site_name']} ({first['site_code']})  {first['submission_file']}"]
        owners: dict[str, list[dict]] = {}
        for i in site_items:
            owners.setdefault(i["owner"], []).append(i)
        for owner in sorted(owners, key=lambda o: (min(i["due"] for i in owners[o]), o)):
            lines.append(f"  {owner}")
            for i in owners[owner]:
                mark = "OVERDUE" if i["state"] == "overdue" else "due    "
                what = " ".join(x for x in (i["kind"], i["standard"] or "", f"{i['title']}:" if i["title"] else "",
                                             i["what"] or "") if x)
                lines.append(f"    {mark} {long_date(i['due']).rjust(width)} ({_when(i['days'])})  {what}")
    if not its:
        lines.append("Nothing falls due.")
    for s in d["stale_sites"]:
        lines.append(f"note: {s['submission_file']} ({s['site_code'] or 'site unknown'}) has no current assessment "
                     f"(its input is {s['state']} since run {s['last_run_id']}); its items are not listed")
    return "\n".join(_clean(x) for x in lines) + "\n"


def _clean(text: str) -> str:
    """No terminal control sequences from the inputs reach the terminal."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "?", text)


CSV_FIELDS = ["site_code", "site_name", "submission_file", "owner", "kind", "standard", "title", "what", "due",
              "days", "state", "outcome"]


def render_csv(d: dict[str, Any]) -> str:
    import csv
    import io

    from ..textsafe import csv_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for i in d["items"]:
        w.writerow([csv_cell(i[k]) for k in CSV_FIELDS])
    return buf.getvalue()


def render_ics(d: dict[str, Any]) -> bytes:
    """One all-day event per item, on its due date, with display alarms 30, 7 and 1 days before."""
    try:
        from icalendar import Alarm, Calendar, Event
    except ImportError:  # pragma: no cover - icalendar is a dependency
        raise InputError.at("--format ics", "needs the icalendar package (pip install icalendar)") from None
    cal = Calendar()
    cal.add("prodid", "-//designation//due//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Designation: conditions and dates due")
    stamp = dt.datetime.combine(dt.date.fromisoformat(d["on"]), dt.time(0, 0), tzinfo=dt.timezone.utc)
    for i in d["items"]:
        due = dt.date.fromisoformat(i["due"])
        ev = Event()
        uid = hashlib.sha256("\0".join(str(i[k]) for k in ("submission_file", "site_code", "kind", "standard",
                                                            "due", "what")).encode()).hexdigest()[:32]
        ev.add("uid", f"{uid}@designation")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", due)
        ev.add("dtend", due + dt.timedelta(days=1))
        title = f"{i['site_code']}: {i['kind']}" + (f" {i['standard']}" if i["standard"] else "") + f" ({i['owner']})"
        ev.add("summary", title)
        ev.add("description", "\n".join(x for x in (
            f"{i['site_name']} ({i['site_code']}), {i['submission_file']}",
            f"{i['kind'].capitalize()}" + (f" {i['standard']} {i['title'] or ''}".rstrip() if i["standard"] else ""),
            i["what"] or "", f"Owner: {i['owner']}", f"Due {i['due']}") if x))
        ev.add("categories", [i["kind"]])
        for days in REMINDER_DAYS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{title}: due in {days} day{'s' if days != 1 else ''}")
            alarm.add("trigger", dt.timedelta(days=-days))
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()
