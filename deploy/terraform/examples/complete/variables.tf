variable "region" {
  description = "AWS region of the cluster and of everything created here."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_name" {
  description = "Existing EKS cluster to run the release in."
  type        = string
}

variable "namespace" {
  description = "Namespace of the release."
  type        = string
  default     = "platform-api"
}

variable "release" {
  description = "Helm release name; the chart's ServiceAccount is <release>-platform-api."
  type        = string
  default     = "platform"
}

variable "irsa_oidc_provider_arn" {
  description = "Cluster OIDC provider ARN for IRSA; null for EKS Pod Identity only (the agent add-on must be installed)."
  type        = string
  default     = null
}

variable "redis" {
  description = "Create ElastiCache (see the module's variable); null to use your own Redis."
  type = object({
    vpc_id                = string
    subnet_ids            = list(string)
    allowed_cidr_blocks   = list(string)
    node_type             = optional(string, "cache.t4g.small")
    replicas              = optional(number, 1)
    auth_token_secret_arn = optional(string)
  })
  default = null
}

variable "install_chart" {
  description = "Also run helm upgrade --install from this root (needs helm and a kubeconfig for the cluster where terraform runs)."
  type        = bool
  default     = false
}

variable "chart" {
  description = "Chart reference: the OCI artifact the release workflow pushes, and its version."
  type = object({
    ref     = string
    version = string
  })
  default = {
    ref     = "oci://ghcr.io/platform-api/charts/platform-api"
    version = "0.1.0"
  }
}

variable "chart_values_file" {
  description = "Your values file (keys, Redis Secret, ingress, network policy...), applied after the values Terraform determines."
  type        = string
  default     = "values.production.yaml"
}
