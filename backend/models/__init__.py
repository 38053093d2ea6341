"""peewee models, one module per aggregate; no HTTP here."""

from backend.models.audit import AuditEntry
from backend.models.base import BaseModel
from backend.models.community import (
    Booking,
    BookingEvent,
    BookingSlot,
    CommunityMembership,
    Form,
    FormSubmission,
    Notice,
    NoticeRead,
    Poll,
    PollOption,
    PollVote,
    Report,
    ResidentCodeUse,
)
from backend.models.grades import GradeAppeal, RerateRequest, ShopReply
from backend.models.inspections import (
    Finding,
    Inspection,
    InspectionConfirmation,
    InspectionCorrection,
    RectificationOrder,
    RectificationSubmission,
)
from backend.models.keys import SealedKey
from backend.models.lifecycle import LifecycleEvent
from backend.models.opendata import ImportedBusiness, ImportedFeed, ImportedInspection
from backend.models.people import (
    BindingCode,
    IdempotentRequest,
    RefreshToken,
    RevokedSession,
    StaffAccount,
    User,
)
from backend.models.policies import Policy, PolicyDelivery, ResidentTag
from backend.models.ratings import Complaint, Rating
from backend.models.regions import Department, Region
from backend.models.sampling import (
    InspectorConflict,
    SamplingItem,
    SamplingPlan,
    SamplingTask,
    SamplingTaskMember,
)
from backend.models.schedule import ScheduledRun
from backend.models.shops import (
    Employee,
    Honour,
    Licence,
    OutboxMessage,
    Shop,
    ShopCode,
    ShopGram,
    ShopInvite,
    ShopMembership,
    ShopRequest,
    Upload,
)
from backend.models.workorders import (
    ClientKey,
    DailyCounter,
    DeviceEvent,
    RoutingRule,
    ServiceCategory,
    WorkOrder,
    WorkOrderEvent,
)

ALL_MODELS = [
    Region,
    Department,
    User,
    RefreshToken,
    RevokedSession,
    IdempotentRequest,
    StaffAccount,
    BindingCode,
    Shop,
    ShopMembership,
    ShopCode,
    Upload,
    Licence,
    Employee,
    Honour,
    ShopRequest,
    ShopInvite,
    OutboxMessage,
    ScheduledRun,
    SealedKey,
    LifecycleEvent,
    Inspection,
    Finding,
    InspectionCorrection,
    InspectionConfirmation,
    RectificationOrder,
    RectificationSubmission,
    AuditEntry,
    CommunityMembership,
    ResidentCodeUse,
    Notice,
    NoticeRead,
    Poll,
    PollOption,
    PollVote,
    BookingEvent,
    BookingSlot,
    Booking,
    Form,
    FormSubmission,
    Report,
    Rating,
    Complaint,
    ServiceCategory,
    RoutingRule,
    WorkOrder,
    WorkOrderEvent,
    DailyCounter,
    ClientKey,
    DeviceEvent,
    Policy,
    PolicyDelivery,
    ResidentTag,
    ShopGram,
    ImportedFeed,
    ImportedBusiness,
    ImportedInspection,
    GradeAppeal,
    ShopReply,
    RerateRequest,
    SamplingItem,
    SamplingPlan,
    SamplingTask,
    SamplingTaskMember,
    InspectorConflict,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS", "BaseModel"]
