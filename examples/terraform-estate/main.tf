# An existing Terraform estate adopting the exported modules, without cdktf.
# Write the modules first: ./scripts/export-modules   (into dist/terraform/)

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      # the inference-api module grants callers with invoked_via_function_url (provider 6.28+)
      version = ">= 6.28.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region
}

# The account that hosts shared models (another account in real estates).
provider "aws" {
  alias  = "hosting"
  region = var.hosting_region
}

data "aws_caller_identity" "current" {}

locals {
  account_id   = data.aws_caller_identity.current.account_id
  nova_micro   = "amazon.nova-micro-v1:0"
  partner_role = "arn:aws:iam::${var.hosting_account_id}:role/${var.name}-model-access"
}

module "mistral" {
  source = "../../dist/terraform/sagemaker-endpoint"

  name          = "${var.name}-mistral-7b"
  image         = "763104351884.dkr.ecr.${var.region}.amazonaws.com/huggingface-pytorch-tgi-inference:2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04"
  instance_type = "ml.g5.2xlarge"
  environment = {
    HF_MODEL_ID      = "mistralai/Mistral-7B-Instruct-v0.3"
    SM_NUM_GPUS      = "1"
    MAX_INPUT_TOKENS = "4096"
    MAX_TOTAL_TOKENS = "8192"
  }
  autoscaling = {
    min_instances                   = 1
    max_instances                   = 2
    target_invocations_per_instance = 60
  }
  tags = var.tags
}

module "inference_api" {
  source = "../../dist/terraform/inference-api"

  name = var.name
  inventory_json = jsonencode({
    version = 1
    models = [
      { id = "nova-micro", provider = "bedrock", model = local.nova_micro, region = var.region },
      { id = "mistral-7b", provider = "sagemaker", model = module.mistral.endpoint_name, region = var.region, api = "tgi-messages" },
      {
        id  = "partner-llama", provider = "sagemaker", model = "llama-3-70b-prod", region = var.hosting_region,
        api = "tgi-messages", role_arn = local.partner_role, external_id = var.external_id
      },
    ]
  })
  bedrock_invoke_arns     = ["arn:aws:bedrock:${var.region}::foundation-model/${local.nova_micro}"]
  sagemaker_endpoint_arns = [module.mistral.endpoint_arn]
  assume_role_arns        = [local.partner_role]

  # Use the estate's own secret instead of creating one.
  create_api_keys_secret = false
  api_keys_secret_arn    = var.api_keys_secret_arn
  tags                   = var.tags
}

module "model_access" {
  source    = "../../dist/terraform/model-access-role"
  providers = { aws = aws.hosting }

  role_name               = "${var.name}-model-access"
  trusted_role_arns       = [module.inference_api.lambda_role_arn]
  external_id             = var.external_id
  sagemaker_endpoint_arns = ["arn:aws:sagemaker:${var.hosting_region}:${var.hosting_account_id}:endpoint/llama-3-70b-prod"]
  tags                    = var.tags
}

variable "name" {
  type        = string
  description = "Name prefix of the deployment."
  default     = "estate-llm"
}

variable "region" {
  type        = string
  description = "Region of the inference API."
  default     = "us-east-1"
}

variable "hosting_region" {
  type        = string
  description = "Region of the shared models in the hosting account."
  default     = "us-west-2"
}

variable "hosting_account_id" {
  type        = string
  description = "Account that hosts the shared models."
  default     = "444455556666"
}

variable "external_id" {
  type        = string
  description = "External id the hosting account's role requires."
  default     = "estate-llm-api"
}

variable "api_keys_secret_arn" {
  type        = string
  description = "The estate's existing secret of third-party API keys (a JSON object)."
  default     = "arn:aws:secretsmanager:us-east-1:111122223333:secret:estate/llm-api-keys-AbCdEf"
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = { Team = "ml-platform" }
}

output "inference_api_url" {
  description = "Base URL of the inference API."
  value       = module.inference_api.lambda_function_url
}

output "caller_policy_json" {
  description = "Attach to the roles that call the API."
  value       = module.inference_api.caller_policy_json
}

output "model_access_role_arn" {
  description = "Role the API assumes in the hosting account."
  value       = module.model_access.role_arn
}
