"""The resident app: memberships, resident-code uses, notices, polls, bookings, forms,
reports, ratings, complaints; pseudonyms and deletion on users; report photos without a shop."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
)


def up(migrator, db):
    class Region(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "region"

    class Shop(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop"

    class StaffAccount(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_account"

    class Upload(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "upload"

    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "user"

    class BookingEvent(Model):
        public_id = CharField(unique=True, max_length=16)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        title = CharField(max_length=100)
        description = TextField(null=True)
        per_resident = IntegerField(default=1)
        author = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "booking_event"

    db.create_tables([BookingEvent])

    class BookingSlot(Model):
        public_id = CharField(unique=True, max_length=16)
        event = ForeignKeyField(BookingEvent, on_delete="CASCADE")
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        capacity = IntegerField()
        booked = IntegerField(default=0)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "booking_slot"

    db.create_tables([BookingSlot])

    class Booking(Model):
        public_id = CharField(unique=True, max_length=16)
        slot = ForeignKeyField(BookingSlot, on_delete="CASCADE")
        event = ForeignKeyField(BookingEvent, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "booking"

    db.create_tables([Booking])

    class CommunityMembership(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        community = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        status = CharField(index=True, max_length=16, default="pending")
        note = CharField(null=True, max_length=200)
        decided_by = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        decided_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "community_membership"

    db.create_tables([CommunityMembership])

    class Complaint(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        category = CharField(max_length=32)
        text = TextField()
        status = CharField(max_length=16, default="received")
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "complaint"

    db.create_tables([Complaint])

    class Form(Model):
        public_id = CharField(unique=True, max_length=16)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        title = CharField(max_length=100)
        description = TextField(null=True)
        fields = TextField()
        closes_at = DateTimeField(null=True)
        author = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "form"

    db.create_tables([Form])

    class FormSubmission(Model):
        form = ForeignKeyField(Form, on_delete="CASCADE")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        community = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        answers = TextField()
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "form_submission"

    db.create_tables([FormSubmission])

    class Notice(Model):
        public_id = CharField(unique=True, max_length=16)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        title = CharField(max_length=100)
        body = TextField()
        author = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        published_at = DateTimeField(index=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "notice"

    db.create_tables([Notice])

    class NoticeRead(Model):
        notice = ForeignKeyField(Notice, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        read_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "notice_read"
            indexes = ((("notice", "user"), True),)

    db.create_tables([NoticeRead])

    class Poll(Model):
        public_id = CharField(unique=True, max_length=16)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        title = CharField(max_length=100)
        description = TextField(null=True)
        multiple = BooleanField(default=False)
        opens_at = DateTimeField()
        closes_at = DateTimeField()
        results_visible = CharField(max_length=16, default="after_vote")
        author = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "poll"

    db.create_tables([Poll])

    class PollOption(Model):
        poll = ForeignKeyField(Poll, on_delete="CASCADE")
        position = IntegerField()
        label = CharField(max_length=100)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "poll_option"

    db.create_tables([PollOption])

    class PollVote(Model):
        poll = ForeignKeyField(Poll, on_delete="CASCADE")
        option = ForeignKeyField(PollOption, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        voted_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "poll_vote"
            indexes = ((("poll", "user", "option"), True),)

    db.create_tables([PollVote])

    class Rating(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        stars = SmallIntegerField()
        text = TextField(null=True)
        tags = TextField(default="[]")
        status = CharField(index=True, max_length=16, default="visible")
        reply = TextField(null=True)
        replied_at = DateTimeField(null=True)
        released_by = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "rating"

    db.create_tables([Rating])

    class Report(Model):
        public_id = CharField(unique=True, max_length=16)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        community = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        category = CharField(max_length=32)
        text = TextField()
        photo = ForeignKeyField(Upload, null=True, on_delete="SET NULL")
        lat = DoubleField(null=True)
        lng = DoubleField(null=True)
        status = CharField(index=True, max_length=16, default="received")
        reply = TextField(null=True)
        handled_by = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "report"

    db.create_tables([Report])

    class ResidentCodeUse(Model):
        jti = CharField(unique=True, max_length=64)
        staff = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        used_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "resident_code_use"

    db.create_tables([ResidentCodeUse])

    migrator.migrate(
        migrator.add_column("user", "pseudonym", CharField(unique=True, null=True, max_length=32))
    )
    migrator.migrate(migrator.add_column("user", "deleted_at", DateTimeField(null=True)))
    migrator.migrate(
        migrator.add_column("region", "auto_approve_bound_phone", BooleanField(default=False))
    )
    migrator.migrate(migrator.drop_not_null("upload", "shop_id"))


def down(migrator, db):
    migrator.migrate(migrator.add_not_null("upload", "shop_id"))
    migrator.migrate(migrator.drop_index("user", "user_pseudonym"))
    migrator.migrate(migrator.drop_column("region", "auto_approve_bound_phone"))
    migrator.migrate(migrator.drop_column("user", "deleted_at"))
    migrator.migrate(migrator.drop_column("user", "pseudonym"))
    migrator.migrate(migrator.drop_table("resident_code_use"))
    migrator.migrate(migrator.drop_table("report"))
    migrator.migrate(migrator.drop_table("rating"))
    migrator.migrate(migrator.drop_table("poll_vote"))
    migrator.migrate(migrator.drop_table("poll_option"))
    migrator.migrate(migrator.drop_table("poll"))
    migrator.migrate(migrator.drop_table("notice_read"))
    migrator.migrate(migrator.drop_table("notice"))
    migrator.migrate(migrator.drop_table("form_submission"))
    migrator.migrate(migrator.drop_table("form"))
    migrator.migrate(migrator.drop_table("complaint"))
    migrator.migrate(migrator.drop_table("community_membership"))
    migrator.migrate(migrator.drop_table("booking"))
    migrator.migrate(migrator.drop_table("booking_slot"))
    migrator.migrate(migrator.drop_table("booking_event"))
