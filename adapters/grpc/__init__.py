"""The gRPC adapter: credit_policy.v1.CreditPolicyService over the policy core."""
