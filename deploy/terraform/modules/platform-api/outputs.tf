output "queue_url" {
  description = "URL of the ingest queue (the chart's keda.queueUrl)."
  value       = aws_sqs_queue.main.id
}

output "queue_name" {
  description = "Ingest queue name (ingest.queueName)."
  value       = aws_sqs_queue.main.name
}

output "dlq_name" {
  description = "Dead-letter queue name (ingest.dlqName)."
  value       = aws_sqs_queue.dlq.name
}

output "table_name" {
  description = "DynamoDB table name (ingest.tableName)."
  value       = aws_dynamodb_table.ingest.name
}

output "role_arn" {
  description = "IAM role of the pods (serviceAccount.annotations eks.amazonaws.com/role-arn for IRSA; Pod Identity needs no annotation)."
  value       = aws_iam_role.app.arn
}

output "policy_json" {
  description = "The role's inline policy, for review."
  value       = data.aws_iam_policy_document.app.json
}

output "ecr_repository_url" {
  description = "ECR repository URL (image.registry/image.repository)."
  value       = try(aws_ecr_repository.app[0].repository_url, null)
}

output "redis_url" {
  description = "rediss:// URL of the replication group's primary, without the auth token (put the full URL in the Secret redis.existingSecret names)."
  value       = try("rediss://${aws_elasticache_replication_group.redis[0].primary_endpoint_address}:6379", null)
}

output "helm_values" {
  description = "Chart values this module determines; merge with yours (-f) at helm upgrade --install."
  value = {
    aws = { region = data.aws_region.current.name }
    ingest = {
      queueName = aws_sqs_queue.main.name
      dlqName   = aws_sqs_queue.dlq.name
      tableName = aws_dynamodb_table.ingest.name
    }
    config = { extraEnv = { INGEST_MAX_RECEIVE_COUNT = var.max_receive_count } }
    image = var.create_ecr_repository ? {
      registry   = split("/", aws_ecr_repository.app[0].repository_url)[0]
      repository = aws_ecr_repository.app[0].name
    } : null
    serviceAccount = {
      name        = var.service_account
      annotations = var.irsa_oidc_provider_arn == null ? {} : { "eks.amazonaws.com/role-arn" = aws_iam_role.app.arn }
    }
    keda = { queueUrl = aws_sqs_queue.main.id }
  }
}
