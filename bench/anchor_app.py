"""The anchor for bench/scan.py: the least a Flask + peewee developer would write for "scan
a code". One indexed query (code → its shop's row), the row as JSON, nothing else: no
sign-in, no licences, no ratings, no regions, no verdict. It is what the scan is
measured against, on the same data and the same gunicorn settings; never the app.
"""

from __future__ import annotations

import os

import peewee as pw
from flask import Flask, abort
from playhouse.db_url import connect
from playhouse.shortcuts import model_to_dict

url = os.environ["DATABASE_URL"]
# peewee opens a connection at the first query and keeps it for its thread: the least code.
db = connect(url)


class Shop(pw.Model):
    public_id = pw.CharField()
    name = pw.CharField()
    credit_code = pw.CharField()
    category = pw.CharField()
    address = pw.CharField()
    street_id = pw.IntegerField()
    community_id = pw.IntegerField(null=True)
    region_path = pw.CharField()
    lat = pw.DoubleField(null=True)
    lng = pw.DoubleField(null=True)
    phone = pw.CharField(null=True)
    opening_hours = pw.CharField(null=True)
    description = pw.TextField(null=True)
    status = pw.CharField()
    status_cause = pw.CharField(null=True)
    rating_count = pw.IntegerField()
    rating_total = pw.IntegerField()
    rating_histogram = pw.CharField()
    last_inspection_at = pw.DateTimeField(null=True)
    last_inspection_result = pw.CharField(null=True)
    risk_grade = pw.CharField()
    grade = pw.CharField(null=True)
    grade_score = pw.IntegerField(null=True)
    annual_grade = pw.CharField(null=True)
    annual_score = pw.IntegerField(null=True)
    grade_history = pw.TextField()
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        database = db
        table_name = "shop"


class ShopCode(pw.Model):
    code = pw.CharField(unique=True)
    shop = pw.ForeignKeyField(Shop, null=True)
    revoked_at = pw.DateTimeField(null=True)

    class Meta:
        database = db
        table_name = "shop_code"


app = Flask(__name__)


@app.get("/anchor/<code>")
def scan(code):
    shop = (
        Shop.select()
        .join(ShopCode, on=(ShopCode.shop == Shop.id))
        .where(ShopCode.code == code.upper())
        .first()
    )
    if shop is None:
        abort(404)
    return model_to_dict(shop)
