"""Registration forms (信息登记): cadres define the fields, residents answer once, staff collect.

A resident has one submission per form: submitting again replaces the answers, so a
typo can be corrected until the form closes. Each submission is filed under the
resident's community, which is what a community cadre's scope sees, even when the
form was published for the whole street or district. Personal answers (phone
fields always; others as the form says) are masked for staff unless an unmasked
read is asked for, and each unmasked read or export is audited.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date

import peewee as pw

from backend import audit, clock, i18n, masking, scope, spreadsheet
from backend.community import publishing
from backend.community.membership import member_of, visible_paths
from backend.db import lock_row, page_of, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import Form, FormSubmission, Region, StaffAccount, User

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
TEXT_MAX = 500
LARGEST_NUMBER = 2**53 - 1  # the largest whole number every client keeps exactly


def fields_of(form: Form) -> list[dict]:
    return json.loads(form.fields)


def is_open(form: Form) -> bool:
    return form.closes_at is None or clock.now() < form.closes_at


# -- defining a form -------------------------------------------------------------------------
def normalise_fields(fields: list[dict]) -> list[dict]:
    """The field list as stored: unique names, choices only (and always) for choice fields."""
    seen = set()
    result = []
    for i, form_field in enumerate(fields):
        if form_field["name"] in seen:
            raise _bad_field(i, "name", i18n.reason("duplicate_field_name", "duplicate field name"))
        seen.add(form_field["name"])
        choices = form_field.get("choices") or []
        if form_field["type"] == "choice" and len(choices) < 2:
            raise _bad_field(
                i, "choices", i18n.reason("too_few_choices", "a choice field needs two or more")
            )
        if form_field["type"] != "choice" and choices:
            raise _bad_field(
                i, "choices", i18n.reason("choices_not_allowed", "only choice fields have choices")
            )
        if len(set(choices)) != len(choices):
            raise _bad_field(i, "choices", i18n.reason("duplicate_choice", "choices must differ"))
        result.append(
            {
                "name": form_field["name"],
                "label": form_field["label"],
                "type": form_field["type"],
                "required": form_field["required"],
                "choices": choices or None,
                # A phone number identifies a person whatever the form's author says.
                "personal": form_field["personal"] or form_field["type"] == "phone",
            }
        )
    return result


def _bad_field(index: int, name: str, why: i18n.Reason) -> Invalid:
    """What is wrong with one of the fields defined. No message of its own: errors.py says
    the reason with where it is ("fields.2.name: ...")."""
    return Invalid(None, errors={"json": {"fields": {str(index): {name: [why]}}}}, key=why.key)


def create_form(staff: StaffAccount, data: dict) -> Form:
    fields = normalise_fields(data["fields"])
    with write_transaction():
        region = scope.region(staff, data["region"])
        stored = json.dumps(fields, ensure_ascii=False)
        publishing.refuse_a_repeat(
            staff,
            Form,
            region,
            Form.created_at,
            "form",
            title=data["title"],
            description=data.get("description"),
            fields=stored,
            closes_at=data.get("closes_at"),
        )
        form = Form.create(
            region=region,
            region_path=region.path,
            title=data["title"],
            description=data.get("description"),
            fields=stored,
            closes_at=data.get("closes_at"),
            author=staff,
        )
        audit.record("form.created", "form", form.public_id, region.path, staff=staff)
    return form


# -- answering -------------------------------------------------------------------------------
def visible_forms(user: User) -> pw.ModelSelect:
    return Form.select().where(Form.region_path.in_(visible_paths(user))).order_by(Form.id.desc())


def visible_form(user: User, form_id: str) -> Form:
    form = visible_forms(user).where(Form.public_id == form_id).first()
    if form is None:
        raise NotFound("form not found", key="form_not_found")
    return form


def clean_answers(form: Form, answers: dict) -> dict:
    """The answers as stored, or Invalid naming every field that is wrong."""
    fields = fields_of(form)
    known = {f["name"] for f in fields}
    problems = {
        name: [i18n.reason("unknown_field", "not a field of this form")]
        for name in answers
        if name not in known
    }
    cleaned = {}
    for form_field in fields:
        value = answers.get(form_field["name"])
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if form_field["required"]:
                problems[form_field["name"]] = [i18n.reason("required", "required")]
            continue
        try:
            cleaned[form_field["name"]] = _clean_value(form_field, value)
        except ValueError as exc:
            problems[form_field["name"]] = [exc.args[0]]
    if problems:
        # In name order: the message errors.py writes from them starts with the first name.
        ordered = {name: problems[name] for name in sorted(problems)}
        first = next(iter(ordered.values()))[0]
        raise Invalid(None, errors={"json": {"answers": ordered}}, key=first.key)
    return cleaned


def _clean_value(form_field: dict, value):
    """The value as stored; a ValueError carries the reason (an i18n.Reason) it is not."""
    kind = form_field["type"]
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise ValueError(i18n.reason("not_a_number", "must be a number"))
        if abs(number) > LARGEST_NUMBER:
            # Beyond it a number is not kept exactly (an ID number would change digits);
            # such a field is text, not a number.
            raise ValueError(
                i18n.reason(
                    "out_of_range", "must be between -%(max)s and %(max)s", max=LARGEST_NUMBER
                )
            )
        return int(number) if number.is_integer() and "." not in str(value) else number
    if not isinstance(value, str):
        raise ValueError(i18n.reason("not_a_string", "must be text"))
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(
                i18n.reason("invalid_date", "must be a date like 2024-05-01")
            ) from None
    if kind == "choice" and value not in form_field["choices"]:
        choices = ", ".join(form_field["choices"])
        raise ValueError(i18n.reason("not_one_of", "must be one of: %(choices)s", choices=choices))
    if kind == "phone" and not MAINLAND_MOBILE.match(value):
        raise ValueError(
            i18n.reason(
                "invalid_phone", "must be a mainland mobile number (11 digits starting 13-19)"
            )
        )
    if kind == "text" and len(value) > TEXT_MAX:
        raise ValueError(i18n.reason("too_long", "at most %(max)s characters", max=TEXT_MAX))
    return value


def my_submission(user: User, form_id: str) -> FormSubmission:
    form = visible_form(user, form_id)
    submission = FormSubmission.get_or_none(
        (FormSubmission.form == form) & (FormSubmission.user == user)
    )
    if submission is None:
        raise NotFound("you have not submitted this form", key="submission_not_found")
    return submission


def submit(user: User, form_id: str, answers: dict) -> FormSubmission:
    """Submit, or replace my earlier submission; refused once the form has closed."""
    with write_transaction():
        # One resident's parallel submits must not leave two rows.
        lock_row(User, user.id)
        form = visible_form(user, form_id)
        if not is_open(form):
            raise Conflict("this form has closed", key="form_closed")
        cleaned = json.dumps(clean_answers(form, answers), ensure_ascii=False)
        community = member_of(user, form.region_path)
        existing = FormSubmission.get_or_none(
            (FormSubmission.form == form) & (FormSubmission.user == user)
        )
        if existing is None:
            return FormSubmission.create(
                form=form,
                user=user,
                community=community,
                region_path=community.path,
                answers=cleaned,
            )
        existing.answers, existing.created_at = cleaned, clock.now()
        existing.community, existing.region_path = community, community.path
        existing.save()
        return existing


# -- collecting ------------------------------------------------------------------------------
def forms_in_scope(staff: StaffAccount) -> pw.ModelSelect:
    """Forms published in the staff member's subtree, or above it (whose answers from
    the subtree they collect)."""
    return (
        Form.select()
        .where(
            scope.under(Form.region_path, staff.region_path)
            | Form.region_path.in_(scope.ancestors(staff.region_path))
        )
        .order_by(Form.id.desc())
    )


def form_in_scope(staff: StaffAccount, form_id: str) -> Form:
    return scope.find(
        staff,
        forms_in_scope(staff).where(Form.public_id == form_id),
        "form",
        form_id,
        Form.select(Form.region_path).where(Form.public_id == form_id),
    )


def submissions_in_scope(staff: StaffAccount, form: Form) -> pw.ModelSelect:
    return (
        FormSubmission.select(FormSubmission, Region)
        .join(Region, on=(FormSubmission.community == Region.id))
        .where(
            (FormSubmission.form == form)
            & scope.under(FormSubmission.region_path, staff.region_path)
        )
        .order_by(FormSubmission.id)
    )


def audit_unmasked(staff: StaffAccount, form: Form, how: str, **detail) -> None:
    audit.record(
        audit.READ_UNMASKED,
        "form",
        form.public_id,
        form.region_path,
        staff=staff,
        detail={"how": how, **detail},
    )


def mask_answer(field: dict, value):
    if value is None or not field["personal"]:
        return value
    text = str(value)
    if field["type"] == "phone":
        return masking.phone(text)
    if field["type"] == "date":
        return text[:4] + "-**-**"
    if field["type"] == "text":
        if len(text) <= 4:
            return masking.name(text)
        # An ID number keeps its four ends; a shorter text (an address, a name in
        # pinyin) keeps no more than a quarter at each end, or it is barely hidden.
        ends = min(4, len(text) // 4)
        return masking.number(text, ends, ends)
    # A choice or a number as stars of its own length would tell "群众" from "中共党员",
    # or a three-digit income from a five-digit one.
    return "***"


def answers_for_staff(form: Form, submission: FormSubmission, unmasked: bool) -> dict:
    answers = json.loads(submission.answers)
    if unmasked:
        return answers
    return {
        f["name"]: mask_answer(f, answers[f["name"]])
        for f in fields_of(form)
        if f["name"] in answers
    }


def submissions_page(
    staff: StaffAccount, form_id: str, unmasked: bool, page: int, page_size: int
) -> tuple[list[dict], int]:
    """One page of the submissions in scope, and how many there are in all."""
    form = form_in_scope(staff, form_id)
    query = submissions_in_scope(staff, form)
    rows = page_of(query, page, page_size)
    if unmasked:
        audit_unmasked(staff, form, "list", submissions=[s.id for s in rows])
    return [
        {
            "id": s.id,
            "community": s.community.code,
            "community_name": s.community.name,
            "answers": answers_for_staff(form, s, unmasked),
            "submitted_at": s.created_at,
        }
        for s in rows
    ], query.count()


def form_for_staff(staff: StaffAccount, form_id: str) -> Form:
    form = form_in_scope(staff, form_id)
    form.submission_count = submissions_in_scope(staff, form).count()
    return form


def export_csv(staff: StaffAccount, form_id: str, unmasked: bool) -> tuple[Form, bytes]:
    """Every submission in scope as CSV, with a BOM so Excel reads the Chinese as UTF-8."""
    form = form_in_scope(staff, form_id)
    fields = fields_of(form)
    rows = []
    for submission in submissions_in_scope(staff, form):
        answers = answers_for_staff(form, submission, unmasked)
        at = submission.created_at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")
        rows.append(
            [
                submission.id,
                submission.community.name,
                at,
                *(answers.get(f["name"]) for f in fields),
            ]
        )
    if unmasked:
        audit_unmasked(staff, form, "export", rows=len(rows))
    header = ["编号", "社区", "提交时间", *(f["label"] for f in fields)]
    return form, spreadsheet.csv_document(header, rows)
