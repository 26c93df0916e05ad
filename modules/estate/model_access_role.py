"""The cross-account model-access role as a standalone child module."""

from __future__ import annotations

from modules import bedrock_iam
from modules.estate.policy import policy_document
from modules.estate.tfjson import ModuleDoc, Output, Variable
from modules.grants import TerraformList
from modules.lambda_contract import sagemaker_statement

_PROFILES = '[for a in var.bedrock_model_arns : a if strcontains(a, ":inference-profile/")]'
# As the stack grants (modules/bedrock_iam.py): through the account's profiles in the regions
# they are called in.
_PROFILE_PATTERNS = (
    "distinct([for a in "
    + _PROFILES
    + ' : format("%s:inference-profile/*", join(":", slice(split(":", a), 0, 5)))])'
)


def build() -> ModuleDoc:
    variables = [
        Variable("role_name", "string", "Name of the role.",
                 validations=(('can(regex("^[\\\\w+=,.@-]{1,64}$", var.role_name))', "role_name must be 1-64 of letters, digits and +=,.@_-."),)),
        Variable("trusted_role_arns", "list(string)", "The inference API's execution role ARN(s) (its output lambda_role_arn).",
                 validations=(('length(var.trusted_role_arns) > 0 && alltrue([for a in var.trusted_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])',
                               "trusted_role_arns must be one or more IAM role ARNs."),)),
        Variable("external_id", "string", "Require this sts:ExternalId when the role is assumed; null for none.", default=None),
        Variable("sagemaker_endpoint_arns", "list(string)",
                 'SageMaker endpoint ARNs to allow, e.g. "arn:aws:sagemaker:us-east-1:<account>:endpoint/*" for all.', default=[]),
        Variable("bedrock_model_arns", "list(string)",
                 'Bedrock model / inference-profile ARNs to allow, e.g. "arn:aws:bedrock:*::foundation-model/*" for all.', default=[]),
        Variable("bedrock_profile_foundation_model_arns", "list(string)",
                 "Foundation-model ARNs the inference profiles in bedrock_model_arns route to, allowed only through "
                 'those profiles; the region may be * ("arn:aws:bedrock:*::foundation-model/<model>").', default=[]),
        Variable("max_session_duration", "number", "Maximum session length in seconds (3600-43200).", default=3600,
                 validations=(("var.max_session_duration >= 3600 && var.max_session_duration <= 43200", "Must be 3600-43200."),)),
        Variable("tags", "map(string)", "Tags for the role.", default={}),
    ]  # fmt: skip

    data = {
        "aws_iam_policy_document": {
            "trust": {
                "statement": {
                    "sid": "TrustInferenceApi",
                    "effect": "Allow",
                    "actions": ["sts:AssumeRole"],
                    "principals": [{"type": "AWS", "identifiers": "${var.trusted_role_arns}"}],
                    "dynamic": {
                        "condition": [
                            {
                                "for_each": "${var.external_id == null ? [] : [var.external_id]}",
                                "content": {
                                    "test": "StringEquals",
                                    "variable": "sts:ExternalId",
                                    "values": ["${condition.value}"],
                                },
                            }
                        ]
                    },
                }
            },
            "access": policy_document(
                [
                    sagemaker_statement(TerraformList("var.sagemaker_endpoint_arns")),
                    *bedrock_iam.invoke_statements(
                        TerraformList("var.bedrock_model_arns"),
                        TerraformList("var.bedrock_profile_foundation_model_arns"),
                        TerraformList(_PROFILE_PATTERNS),
                    ),
                ]
            ),
        }
    }
    resources = {
        "aws_iam_role": {
            "this": {
                "name": "${var.role_name}",
                "description": "Assumed by the inference API to invoke this account's models.",
                "assume_role_policy": "${data.aws_iam_policy_document.trust.json}",
                "max_session_duration": "${var.max_session_duration}",
                "tags": "${var.tags}",
            }
        },
        "aws_iam_role_policy": {
            "this": {
                "name": "${var.role_name}-invoke",
                "role": "${aws_iam_role.this.id}",
                "policy": "${data.aws_iam_policy_document.access.json}",
                "lifecycle": {
                    "precondition": [
                        {
                            "condition": "${length(var.sagemaker_endpoint_arns) + length(var.bedrock_model_arns) > 0}",
                            "error_message": "Grant something: set sagemaker_endpoint_arns and/or bedrock_model_arns.",
                        }
                    ]
                },
            }
        },
    }
    usage = """
module "model_access" {
  source    = "./modules/model-access-role"
  providers = { aws = aws.hosting }

  role_name               = "llm-model-access"
  trusted_role_arns       = ["arn:aws:iam::111122223333:role/llm-inference-api"]
  external_id             = "a-shared-value"
  sagemaker_endpoint_arns = ["arn:aws:sagemaker:us-west-2:444455556666:endpoint/llama-3-70b-prod"]
}
"""
    return ModuleDoc(
        name="model-access-role",
        summary="A role in a model-hosting account that the inference API's execution role may assume "
        "(optionally with an external id), allowed to invoke the listed SageMaker endpoints and Bedrock "
        "models.",
        variables=variables,
        outputs=[
            Output(
                "role_arn", "aws_iam_role.this.arn", "Give this as role_arn of the models reached through it."
            ),
            Output("role_name", "aws_iam_role.this.name", "Name of the role."),
        ],
        resources=resources,
        data=data,
        usage=usage,
    )
