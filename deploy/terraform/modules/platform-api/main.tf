locals {
  queue_name = "${var.name}-ingest"
  dlq_name   = "${var.name}-ingest-dlq"
  table_name = "${var.name}-ingest"
  tags       = merge({ "app.kubernetes.io/name" = "platform-api", "managed-by" = "terraform" }, var.tags)
}

# --- ingest queues: the DLQ, then the main queue whose redrive policy points at it -------------

resource "aws_sqs_queue" "dlq" {
  name                              = local.dlq_name
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "main" {
  name                              = local.queue_name
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = local.tags
}

# Only the main queue may use the DLQ as its dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.main.arn]
  })
}

# --- ingest table: one item per message id (the app's key schema) -----------------------------

resource "aws_dynamodb_table" "ingest" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.table_point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  deletion_protection_enabled = true
  tags                        = local.tags
}

# --- image repository ---------------------------------------------------------------------------

resource "aws_ecr_repository" "app" {
  count                = var.create_ecr_repository ? 1 : 0
  name                 = "${var.name}-api"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "app" {
  count      = var.create_ecr_repository ? 1 : 0
  repository = aws_ecr_repository.app[0].name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged images (build leftovers, signatures of deleted images) after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest tagged images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}

# --- optional Redis -------------------------------------------------------------------------------

resource "aws_elasticache_subnet_group" "redis" {
  count      = var.redis == null ? 0 : 1
  name       = "${var.name}-redis"
  subnet_ids = var.redis.subnet_ids
  tags       = local.tags
}

resource "aws_security_group" "redis" {
  count       = var.redis == null ? 0 : 1
  name        = "${var.name}-redis"
  description = "Redis for platform-api: TLS port from the cluster's pod CIDRs only"
  vpc_id      = var.redis.vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each          = var.redis == null ? toset([]) : toset(var.redis.allowed_cidr_blocks)
  security_group_id = aws_security_group.redis[0].id
  cidr_ipv4         = each.value
  from_port         = 6379
  to_port           = 6379
  ip_protocol       = "tcp"
}

data "aws_secretsmanager_secret_version" "redis_auth" {
  count     = try(var.redis.auth_token_secret_arn, null) == null ? 0 : 1
  secret_id = var.redis.auth_token_secret_arn
}

# BullMQ keeps jobs in keys without a TTL: Redis must refuse writes when full, never evict them.
resource "aws_elasticache_parameter_group" "redis" {
  count  = var.redis == null ? 0 : 1
  name   = "${var.name}-redis"
  family = "redis7"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }

  tags = local.tags
}

resource "aws_elasticache_replication_group" "redis" {
  count                      = var.redis == null ? 0 : 1
  replication_group_id       = "${var.name}-redis"
  description                = "platform-api counters, rate limits and BullMQ tasks"
  engine                     = "redis"
  engine_version             = var.redis.engine_version
  node_type                  = var.redis.node_type
  num_cache_clusters         = 1 + var.redis.replicas
  automatic_failover_enabled = var.redis.replicas > 0
  multi_az_enabled           = var.redis.replicas > 0
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.redis[0].name
  security_group_ids         = [aws_security_group.redis[0].id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = try(data.aws_secretsmanager_secret_version.redis_auth[0].secret_string, null)
  parameter_group_name       = aws_elasticache_parameter_group.redis[0].name
  apply_immediately          = false
  tags                       = local.tags
}
