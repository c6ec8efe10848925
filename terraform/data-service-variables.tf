# Data service settings beyond the deployment guide's table (variables.tf keeps exactly the guide's).

variable "dataservice_bedrock_finetune_role_arn" {
  description = "ARN of the IAM service role Bedrock assumes for fine-tuning jobs (reads and writes the finetune bucket); becomes the data service's BEDROCK_FINETUNE_ROLE_ARN. \"\" leaves Bedrock fine-tuning off"
  type        = string
  default     = ""

  validation {
    condition     = var.dataservice_bedrock_finetune_role_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.dataservice_bedrock_finetune_role_arn))
    error_message = "dataservice_bedrock_finetune_role_arn must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), or \"\"."
  }
}
