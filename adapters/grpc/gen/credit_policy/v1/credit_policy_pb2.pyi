from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Invoice(_message.Message):
    __slots__ = ("invoice_id", "issued_on", "due_on", "amount", "paid_amount", "paid_on", "payment_term_days", "due_date_changes")
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUED_ON_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_ON_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TERM_DAYS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    invoice_id: str
    issued_on: str
    due_on: str
    amount: str
    paid_amount: str
    paid_on: str
    payment_term_days: int
    due_date_changes: int
    def __init__(self, invoice_id: _Optional[str] = ..., issued_on: _Optional[str] = ..., due_on: _Optional[str] = ..., amount: _Optional[str] = ..., paid_amount: _Optional[str] = ..., paid_on: _Optional[str] = ..., payment_term_days: _Optional[int] = ..., due_date_changes: _Optional[int] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "ordered_on", "amount", "status")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERED_ON_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    ordered_on: str
    amount: str
    status: str
    def __init__(self, order_id: _Optional[str] = ..., ordered_on: _Optional[str] = ..., amount: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class Financials(_message.Message):
    __slots__ = ("period_end", "current_assets", "current_liabilities", "inventory", "cash", "total_assets", "total_liabilities", "equity", "revenue", "net_profit")
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    CURRENT_ASSETS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LIABILITIES_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ASSETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LIABILITIES_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    NET_PROFIT_FIELD_NUMBER: _ClassVar[int]
    period_end: str
    current_assets: str
    current_liabilities: str
    inventory: str
    cash: str
    total_assets: str
    total_liabilities: str
    equity: str
    revenue: str
    net_profit: str
    def __init__(self, period_end: _Optional[str] = ..., current_assets: _Optional[str] = ..., current_liabilities: _Optional[str] = ..., inventory: _Optional[str] = ..., cash: _Optional[str] = ..., total_assets: _Optional[str] = ..., total_liabilities: _Optional[str] = ..., equity: _Optional[str] = ..., revenue: _Optional[str] = ..., net_profit: _Optional[str] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("code", "observed_on", "note")
    CODE_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_ON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    code: str
    observed_on: str
    note: str
    def __init__(self, code: _Optional[str] = ..., observed_on: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Assessment(_message.Message):
    __slots__ = ("character", "capacity", "capital", "collateral", "conditions", "assessed_on")
    CHARACTER_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CAPITAL_FIELD_NUMBER: _ClassVar[int]
    COLLATERAL_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    ASSESSED_ON_FIELD_NUMBER: _ClassVar[int]
    character: int
    capacity: int
    capital: int
    collateral: int
    conditions: int
    assessed_on: str
    def __init__(self, character: _Optional[int] = ..., capacity: _Optional[int] = ..., capital: _Optional[int] = ..., collateral: _Optional[int] = ..., conditions: _Optional[int] = ..., assessed_on: _Optional[str] = ...) -> None: ...

class CustomerSnapshot(_message.Message):
    __slots__ = ("customer_id", "name", "size", "segment", "relationship_since", "currency", "invoices", "orders", "financials", "signals", "assessment", "last_contact_on", "last_review_on", "current_grade", "current_limit", "value_class")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_SINCE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    INVOICES_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    FINANCIALS_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    LAST_CONTACT_ON_FIELD_NUMBER: _ClassVar[int]
    LAST_REVIEW_ON_FIELD_NUMBER: _ClassVar[int]
    CURRENT_GRADE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    VALUE_CLASS_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    name: str
    size: str
    segment: str
    relationship_since: str
    currency: str
    invoices: _containers.RepeatedCompositeFieldContainer[Invoice]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    financials: _containers.RepeatedCompositeFieldContainer[Financials]
    signals: _containers.RepeatedCompositeFieldContainer[Signal]
    assessment: Assessment
    last_contact_on: str
    last_review_on: str
    current_grade: str
    current_limit: str
    value_class: str
    def __init__(self, customer_id: _Optional[str] = ..., name: _Optional[str] = ..., size: _Optional[str] = ..., segment: _Optional[str] = ..., relationship_since: _Optional[str] = ..., currency: _Optional[str] = ..., invoices: _Optional[_Iterable[_Union[Invoice, _Mapping]]] = ..., orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., financials: _Optional[_Iterable[_Union[Financials, _Mapping]]] = ..., signals: _Optional[_Iterable[_Union[Signal, _Mapping]]] = ..., assessment: _Optional[_Union[Assessment, _Mapping]] = ..., last_contact_on: _Optional[str] = ..., last_review_on: _Optional[str] = ..., current_grade: _Optional[str] = ..., current_limit: _Optional[str] = ..., value_class: _Optional[str] = ...) -> None: ...

class EvaluateCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "snapshot", "as_of", "explain", "request_id")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    snapshot: CustomerSnapshot
    as_of: str
    explain: bool
    request_id: str
    def __init__(self, customer_id: _Optional[str] = ..., snapshot: _Optional[_Union[CustomerSnapshot, _Mapping]] = ..., as_of: _Optional[str] = ..., explain: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class CheckOrderRequest(_message.Message):
    __slots__ = ("customer_id", "snapshot", "order_id", "amount", "payment_term_days", "as_of", "currency", "explain")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TERM_DAYS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    snapshot: CustomerSnapshot
    order_id: str
    amount: str
    payment_term_days: int
    as_of: str
    currency: str
    explain: bool
    def __init__(self, customer_id: _Optional[str] = ..., snapshot: _Optional[_Union[CustomerSnapshot, _Mapping]] = ..., order_id: _Optional[str] = ..., amount: _Optional[str] = ..., payment_term_days: _Optional[int] = ..., as_of: _Optional[str] = ..., currency: _Optional[str] = ..., explain: _Optional[bool] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ("include_files", "brief")
    INCLUDE_FILES_FIELD_NUMBER: _ClassVar[int]
    BRIEF_FIELD_NUMBER: _ClassVar[int]
    include_files: bool
    brief: bool
    def __init__(self, include_files: _Optional[bool] = ..., brief: _Optional[bool] = ...) -> None: ...

class Action(_message.Message):
    __slots__ = ("code", "due_on", "target_id", "severity", "rule_id", "message", "gather")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    GATHER_FIELD_NUMBER: _ClassVar[int]
    code: str
    due_on: str
    target_id: str
    severity: str
    rule_id: str
    message: str
    gather: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., due_on: _Optional[str] = ..., target_id: _Optional[str] = ..., severity: _Optional[str] = ..., rule_id: _Optional[str] = ..., message: _Optional[str] = ..., gather: _Optional[_Iterable[str]] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("rule_id", "code", "message", "evidence")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    code: str
    message: str
    evidence: _struct_pb2.Struct
    def __init__(self, rule_id: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., evidence: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class TraceEntry(_message.Message):
    __slots__ = ("rule_id", "fired", "inputs", "superseded_by", "no_action")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    FIRED_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    NO_ACTION_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    fired: bool
    inputs: _struct_pb2.Struct
    superseded_by: str
    no_action: str
    def __init__(self, rule_id: _Optional[str] = ..., fired: _Optional[bool] = ..., inputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., superseded_by: _Optional[str] = ..., no_action: _Optional[str] = ...) -> None: ...

class CustomerDecision(_message.Message):
    __slots__ = ("customer_id", "policy_version", "as_of", "score", "grade", "grade_class", "value_class", "credit_limit", "currency", "limit_valid_until", "exposure", "available_credit", "next_review_on", "actions", "reasons", "trace")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    GRADE_CLASS_FIELD_NUMBER: _ClassVar[int]
    VALUE_CLASS_FIELD_NUMBER: _ClassVar[int]
    CREDIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_CREDIT_FIELD_NUMBER: _ClassVar[int]
    NEXT_REVIEW_ON_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    policy_version: str
    as_of: str
    score: float
    grade: str
    grade_class: str
    value_class: str
    credit_limit: str
    currency: str
    limit_valid_until: str
    exposure: str
    available_credit: str
    next_review_on: str
    actions: _containers.RepeatedCompositeFieldContainer[Action]
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    trace: _containers.RepeatedCompositeFieldContainer[TraceEntry]
    def __init__(self, customer_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., as_of: _Optional[str] = ..., score: _Optional[float] = ..., grade: _Optional[str] = ..., grade_class: _Optional[str] = ..., value_class: _Optional[str] = ..., credit_limit: _Optional[str] = ..., currency: _Optional[str] = ..., limit_valid_until: _Optional[str] = ..., exposure: _Optional[str] = ..., available_credit: _Optional[str] = ..., next_review_on: _Optional[str] = ..., actions: _Optional[_Iterable[_Union[Action, _Mapping]]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., trace: _Optional[_Iterable[_Union[TraceEntry, _Mapping]]] = ...) -> None: ...

class OrderDecision(_message.Message):
    __slots__ = ("customer_id", "order_id", "outcome", "available_credit_after", "reasons", "customer", "policy_version")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_CREDIT_AFTER_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    order_id: str
    outcome: str
    available_credit_after: str
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    customer: CustomerDecision
    policy_version: str
    def __init__(self, customer_id: _Optional[str] = ..., order_id: _Optional[str] = ..., outcome: _Optional[str] = ..., available_credit_after: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., customer: _Optional[_Union[CustomerDecision, _Mapping]] = ..., policy_version: _Optional[str] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description", "reason")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    reason: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("code", "message", "field_violations", "reason")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    field_violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    reason: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class EvaluateCustomersResponse(_message.Message):
    __slots__ = ("index", "request_id", "policy_version", "decision", "error")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    index: int
    request_id: str
    policy_version: str
    decision: CustomerDecision
    error: ItemError
    def __init__(self, index: _Optional[int] = ..., request_id: _Optional[str] = ..., policy_version: _Optional[str] = ..., decision: _Optional[_Union[CustomerDecision, _Mapping]] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ...) -> None: ...

class Problem(_message.Message):
    __slots__ = ("path", "line", "col", "code", "message")
    PATH_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COL_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    path: str
    line: int
    col: int
    code: str
    message: str
    def __init__(self, path: _Optional[str] = ..., line: _Optional[int] = ..., col: _Optional[int] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class RefusedReload(_message.Message):
    __slots__ = ("attempted_at", "problems", "note", "problem_count", "version")
    ATTEMPTED_AT_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    attempted_at: str
    problems: _containers.RepeatedCompositeFieldContainer[Problem]
    note: str
    problem_count: int
    version: str
    def __init__(self, attempted_at: _Optional[str] = ..., problems: _Optional[_Iterable[_Union[Problem, _Mapping]]] = ..., note: _Optional[str] = ..., problem_count: _Optional[int] = ..., version: _Optional[str] = ...) -> None: ...

class PolicyInfo(_message.Message):
    __slots__ = ("version", "loaded_at", "files", "rule_ids", "last_refused", "rules_dir", "file_names", "rules_dir_state", "build", "rules", "pending", "warnings", "reloading", "warning_count")
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    LAST_REFUSED_FIELD_NUMBER: _ClassVar[int]
    RULES_DIR_FIELD_NUMBER: _ClassVar[int]
    FILE_NAMES_FIELD_NUMBER: _ClassVar[int]
    RULES_DIR_STATE_FIELD_NUMBER: _ClassVar[int]
    BUILD_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    RELOADING_FIELD_NUMBER: _ClassVar[int]
    WARNING_COUNT_FIELD_NUMBER: _ClassVar[int]
    version: str
    loaded_at: str
    files: _containers.ScalarMap[str, str]
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    last_refused: RefusedReload
    rules_dir: str
    file_names: _containers.RepeatedScalarFieldContainer[str]
    rules_dir_state: str
    build: str
    rules: _containers.RepeatedCompositeFieldContainer[RuleInfo]
    pending: FailedReload
    warnings: _containers.RepeatedCompositeFieldContainer[Problem]
    reloading: ReloadUnderWay
    warning_count: int
    def __init__(self, version: _Optional[str] = ..., loaded_at: _Optional[str] = ..., files: _Optional[_Mapping[str, str]] = ..., rule_ids: _Optional[_Iterable[str]] = ..., last_refused: _Optional[_Union[RefusedReload, _Mapping]] = ..., rules_dir: _Optional[str] = ..., file_names: _Optional[_Iterable[str]] = ..., rules_dir_state: _Optional[str] = ..., build: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[RuleInfo, _Mapping]]] = ..., pending: _Optional[_Union[FailedReload, _Mapping]] = ..., warnings: _Optional[_Iterable[_Union[Problem, _Mapping]]] = ..., reloading: _Optional[_Union[ReloadUnderWay, _Mapping]] = ..., warning_count: _Optional[int] = ...) -> None: ...

class ReloadUnderWay(_message.Message):
    __slots__ = ("started_at", "seconds", "trigger", "stage", "version")
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    started_at: str
    seconds: float
    trigger: str
    stage: str
    version: str
    def __init__(self, started_at: _Optional[str] = ..., seconds: _Optional[float] = ..., trigger: _Optional[str] = ..., stage: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class FailedReload(_message.Message):
    __slots__ = ("attempted_at", "version", "error", "attempt")
    ATTEMPTED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    attempted_at: str
    version: str
    error: str
    attempt: int
    def __init__(self, attempted_at: _Optional[str] = ..., version: _Optional[str] = ..., error: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class RuleInfo(_message.Message):
    __slots__ = ("id", "kind", "file", "line", "title_en", "title_zh", "source", "code")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    TITLE_EN_FIELD_NUMBER: _ClassVar[int]
    TITLE_ZH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    file: str
    line: int
    title_en: str
    title_zh: str
    source: str
    code: str
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., file: _Optional[str] = ..., line: _Optional[int] = ..., title_en: _Optional[str] = ..., title_zh: _Optional[str] = ..., source: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...
