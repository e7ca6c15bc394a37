"""Proto ↔ domain: requests become validated domain objects, decisions become proto messages.

Hand-written instead of MessageToDict: faster, and explicit about which empty strings mean
"absent" (optional values) and which must reach pydantic to be reported (required values).
`snapshot` builds a request's snapshot dict, `requests` validates requests, `replies` builds the
reply messages; the names callers use are here as they were when this was one module.
"""

from adapters.grpc.mapping.replies import decision_message as decision_message
from adapters.grpc.mapping.replies import order_decision_message as order_decision_message
from adapters.grpc.mapping.requests import CustomerRef as CustomerRef
from adapters.grpc.mapping.requests import check_order_request as check_order_request
from adapters.grpc.mapping.requests import evaluate_request as evaluate_request
from adapters.grpc.mapping.requests import request_id_problem as request_id_problem
from adapters.grpc.mapping.snapshot import snapshot_dict as snapshot_dict
from policy_engine.domain.values import MAX_ID_LENGTH as MAX_ID_LENGTH
