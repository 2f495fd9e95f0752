output "helm_values" {
  description = "Chart values from Terraform: terraform output -raw helm_values > values.aws.yaml"
  value       = local.helm_values
}

output "helm_command" {
  description = "The install step, when install_chart is false."
  value       = local.helm_command
}

output "role_arn" {
  value = module.platform_api.role_arn
}

output "ecr_repository_url" {
  value = module.platform_api.ecr_repository_url
}

output "redis_url" {
  value = module.platform_api.redis_url
}
