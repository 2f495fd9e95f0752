data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # Shared with test/terraform.e2e-spec.ts, which checks them against the SDK commands in src/.
  actions     = jsondecode(file("${path.module}/policy-actions.json"))
  cluster_arn = "arn:${data.aws_partition.current.partition}:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:cluster/${var.cluster_name}"
  oidc_issuer = var.irsa_oidc_provider_arn == null ? null : element(split("oidc-provider/", var.irsa_oidc_provider_arn), 1)
}

# Least privilege: only the actions the code calls, each on the one resource it calls it on.
data "aws_iam_policy_document" "app" {
  statement {
    sid       = "IngestMainQueue"
    actions   = local.actions.main_queue
    resources = [aws_sqs_queue.main.arn]
  }

  statement {
    sid       = "IngestDeadLetterQueue"
    actions   = local.actions.dead_letter_queue
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "IngestTable"
    actions   = local.actions.table
    resources = [aws_dynamodb_table.ingest.arn]
  }

  dynamic "statement" {
    for_each = var.kubernetes_auth_eks ? [1] : []
    content {
      sid       = "EksToken"
      actions   = local.actions.eks_cluster
      resources = [local.cluster_arn]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      sid       = "EncryptionKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
    }
  }
}

# Who may assume the role: the release's ServiceAccount, through IRSA and/or EKS Pod Identity.
data "aws_iam_policy_document" "trust" {
  dynamic "statement" {
    for_each = var.irsa_oidc_provider_arn == null ? [] : [1]
    content {
      sid     = "Irsa"
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.irsa_oidc_provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.pod_identity ? [1] : []
    content {
      sid     = "PodIdentity"
      actions = ["sts:AssumeRole", "sts:TagSession"]
      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [local.cluster_arn]
      }
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "${var.name}-api"
  description        = "platform-api pods (namespace ${var.namespace}, ServiceAccount ${var.service_account})"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.tags

  lifecycle {
    precondition {
      condition     = var.irsa_oidc_provider_arn != null || var.pod_identity
      error_message = "Set irsa_oidc_provider_arn or pod_identity = true: nothing could assume the role."
    }
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "platform-api"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_eks_pod_identity_association" "app" {
  count           = var.pod_identity ? 1 : 0
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.app.arn
  tags            = local.tags
}
