variable "name" {
  description = "Prefix of every resource name (queue, table, role, repository)."
  type        = string
  default     = "platform"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 characters of a-z, 0-9 and -, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# --- ingest: SQS and DynamoDB -----------------------------------------------------------------

variable "max_receive_count" {
  description = "Receives before SQS moves a message to the DLQ (the chart's INGEST_MAX_RECEIVE_COUNT must match)."
  type        = number
  default     = 5
}

variable "visibility_timeout_seconds" {
  description = "Main queue visibility timeout; the consumer extends it while it works (heartbeat)."
  type        = number
  default     = 30
}

variable "message_retention_seconds" {
  description = "How long the main queue keeps a message (the DLQ keeps them 14 days)."
  type        = number
  default     = 345600
}

variable "table_point_in_time_recovery" {
  description = "Point-in-time recovery of the DynamoDB table."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for SQS and DynamoDB; null uses AWS-owned keys (SSE on). With a key, the role also gets kms:Decrypt/GenerateDataKey on it."
  type        = string
  default     = null
}

# --- identity: IRSA and/or EKS Pod Identity ---------------------------------------------------

variable "cluster_name" {
  description = "EKS cluster the release runs in (Pod Identity association; eks:DescribeCluster when kubernetes_auth_eks)."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "platform-api"
}

variable "service_account" {
  description = "ServiceAccount name of the release (the chart's default is <release>-platform-api)."
  type        = string
  default     = "platform-api"
}

variable "irsa_oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider, to trust IRSA; null to use Pod Identity only."
  type        = string
  default     = null
}

variable "pod_identity" {
  description = "Trust EKS Pod Identity and create the association for namespace/service_account."
  type        = bool
  default     = true
}

variable "kubernetes_auth_eks" {
  description = "The chart runs with kubernetes.auth=eks (token from DescribeCluster): grant eks:DescribeCluster on this cluster."
  type        = bool
  default     = false
}

# --- image ------------------------------------------------------------------------------------

variable "create_ecr_repository" {
  description = "Create the ECR repository the release workflow pushes the image (and the chart, as OCI) to."
  type        = bool
  default     = true
}

variable "ecr_keep_images" {
  description = "Tagged images the ECR lifecycle policy keeps."
  type        = number
  default     = 50
}

# --- optional Redis (ElastiCache) -------------------------------------------------------------

variable "redis" {
  description = "Optional ElastiCache for Redis OSS replication group (TLS, auth token from Secrets Manager you pass). null to bring your own Redis."
  type = object({
    vpc_id                = string
    subnet_ids            = list(string)
    allowed_cidr_blocks   = list(string)
    node_type             = optional(string, "cache.t4g.small")
    replicas              = optional(number, 1)
    engine_version        = optional(string, "7.1")
    auth_token_secret_arn = optional(string)
  })
  default = null
}
