"""Hidden checks of m00-orientation: run only by the grader, never shown to learners."""

from dojo.grading import hidden

# Offerings the public checks do not show (management levels after Paul, ch.1;
# criteria after Sbarski, Cui & Nair 2e, ch.1).
SERVERLESS = [
    {"consumed_via_api": True, "idle_cost_per_hour": 0.0, "billing_unit": "gb_second"},  # Lambda
    {"consumed_via_api": True, "idle_cost_per_hour": 0.0, "billing_unit": "request"},  # DynamoDB on demand
]
NOT_SERVERLESS = [
    {"consumed_via_api": True, "idle_cost_per_hour": 0.21, "billing_unit": "hour"},  # MSK cluster
    {"consumed_via_api": True, "idle_cost_per_hour": 0.0, "billing_unit": "hour"},  # hourly, "free" idle
    {"consumed_via_api": True, "idle_cost_per_hour": 0.017, "billing_unit": "request"},  # idle fee
]


@hidden("m00_orientation_is_serverless", points=2, fail="other pay-per-use services (Lambda, on-demand DynamoDB) are serverless too")
def pay_per_use_services_are_serverless(learner):
    for offering in SERVERLESS:
        assert learner.is_serverless(offering) is True


@hidden("m00_orientation_is_serverless", points=2, fail="anything billed while idle (by the hour, or with an idle fee) fails the second criterion")
def paying_while_idle_is_not_serverless(learner):
    for offering in NOT_SERVERLESS:
        assert learner.is_serverless(offering) is False
