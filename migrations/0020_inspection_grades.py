"""The public grade becomes the inspection's (backend/inspections/scoring.py): each
inspection's score, rule version and 动态等级, a correction's score, and the shop's
grades. The inspections already recorded are scored under version 1 of the rules from
their stored checklist answers, and each shop's grades follow from them."""

import json

from peewee import CharField, IntegerField, Model, SmallIntegerField, TextField, chunked

from backend import clock
from backend.inspections import checklists, scoring
from backend.models.base import UTCDateTimeField


def _table(db, name, **fields):
    meta = type("Meta", (), {"database": db, "legacy_table_names": False, "table_name": name})
    return type(name, (Model,), {"Meta": meta, **fields})


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("inspection", "score", SmallIntegerField(null=True)),
        migrator.add_column("inspection", "rule_version", SmallIntegerField(null=True)),
        migrator.add_column("inspection", "grade", CharField(max_length=1, null=True)),
        migrator.add_column(
            "inspection_correction", "corrected_score", SmallIntegerField(null=True)
        ),
        migrator.add_column(
            "inspection_correction", "corrected_grade", CharField(max_length=1, null=True)
        ),
        migrator.add_column("shop", "grade", CharField(max_length=1, null=True)),
        migrator.add_column("shop", "grade_score", SmallIntegerField(null=True)),
        migrator.add_column("shop", "annual_grade", CharField(max_length=1, null=True)),
        migrator.add_column("shop", "annual_score", SmallIntegerField(null=True)),
        migrator.add_column("shop", "annual_inspections", SmallIntegerField(default=0)),
        migrator.add_column("shop", "grade_history", TextField(default="[]")),
        migrator.add_index("shop", ("grade",), False),
    )
    _score_the_past(db)


def _score_the_past(db):
    Inspection = _table(
        db,
        "inspection",
        shop_id=IntegerField(),
        template=CharField(),
        checklist=TextField(),
        recorded_at=UTCDateTimeField(),
        score=SmallIntegerField(null=True),
        rule_version=SmallIntegerField(null=True),
        grade=CharField(null=True),
    )
    Confirmation = _table(
        db, "inspection_confirmation", inspection_id=IntegerField(), state=CharField()
    )
    Shop = _table(
        db,
        "shop",
        category=CharField(),
        grade=CharField(null=True),
        grade_score=SmallIntegerField(null=True),
        annual_grade=CharField(null=True),
        annual_score=SmallIntegerField(null=True),
        annual_inspections=SmallIntegerField(),
        grade_history=TextField(),
    )
    templates = checklists.templates()
    rows = Inspection.select(Inspection.id, Inspection.template, Inspection.checklist).tuples()
    for batch in chunked(list(rows), 500):
        with db.atomic():
            for id_, template_name, checklist in batch:
                template = templates.get(template_name)
                if template is None:
                    continue
                scored = scoring.score(
                    template, scoring.rule_version(template, 1), json.loads(checklist)
                )
                Inspection.update(score=scored.score, rule_version=1, grade=scored.grade).where(
                    Inspection.id == id_
                ).execute()
    _grade_the_shops(db, Inspection, Confirmation, Shop, templates)


def _grade_the_shops(db, Inspection, Confirmation, Shop, templates):
    waiting = Confirmation.select(Confirmation.inspection_id).where(
        Confirmation.state != "confirmed"
    )
    rows = (
        Inspection.select(
            Inspection.shop_id, Inspection.recorded_at, Inspection.score, Inspection.grade
        )
        .where(Inspection.score.is_null(False) & Inspection.id.not_in(waiting))
        .order_by(Inspection.shop_id, Inspection.recorded_at.desc(), Inspection.id.desc())
        .tuples()
    )
    by_shop = {}
    for shop_id, at, value, letter in rows:
        by_shop.setdefault(shop_id, []).append((at, value, letter))
    now, today = clock.now(), clock.today_local()
    categories = (
        dict(Shop.select(Shop.id, Shop.category).where(Shop.id.in_(list(by_shop))).tuples())
        if by_shop
        else {}
    )
    with db.atomic():
        for shop_id, counted in by_shop.items():
            template = templates[checklists.for_category(categories[shop_id])]
            found = scoring.standing(counted, now, scoring.rule_in_force(template, today))
            Shop.update(
                grade=found.grade,
                grade_score=found.score,
                annual_grade=found.annual_grade,
                annual_score=found.annual_score,
                annual_inspections=found.annual_inspections,
                grade_history=json.dumps(found.history, ensure_ascii=False),
            ).where(Shop.id == shop_id).execute()


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("shop", "shop_grade"),
        *[
            migrator.drop_column("shop", name)
            for name in (
                "grade",
                "grade_score",
                "annual_grade",
                "annual_score",
                "annual_inspections",
                "grade_history",
            )
        ],
        migrator.drop_column("inspection_correction", "corrected_score"),
        migrator.drop_column("inspection_correction", "corrected_grade"),
        migrator.drop_column("inspection", "score"),
        migrator.drop_column("inspection", "rule_version"),
        migrator.drop_column("inspection", "grade"),
    )
