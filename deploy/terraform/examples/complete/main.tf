# Example root module: the AWS side of platform-api for one EKS cluster, then (optionally) the
# Helm release fed by the module's outputs. Without install_chart, run the printed command
# (docs/delivery.md): terraform output -raw helm_values > values.aws.yaml, then helm upgrade --install.

provider "aws" {
  region = var.region
  default_tags {
    tags = { project = "platform-api" }
  }
}

module "platform_api" {
  source = "../../modules/platform-api"

  name                   = "platform"
  cluster_name           = var.cluster_name
  namespace              = var.namespace
  service_account        = "${var.release}-platform-api"
  irsa_oidc_provider_arn = var.irsa_oidc_provider_arn
  pod_identity           = var.irsa_oidc_provider_arn == null
  redis                  = var.redis
}

locals {
  helm_values = yamlencode(module.platform_api.helm_values)
  helm_command = join(" ", [
    "helm upgrade --install ${var.release} ${var.chart.ref} --version ${var.chart.version}",
    "--namespace ${var.namespace} --create-namespace",
    "-f values.aws.yaml -f ${var.chart_values_file}",
    "--rollback-on-failure --wait --timeout 10m",
  ])
}

# The chart is installed with the helm CLI, not the helm provider: the values come from the
# module's outputs on stdin (-f -), then yours. terraform_data is built in: no other provider.
resource "terraform_data" "helm_release" {
  count            = var.install_chart ? 1 : 0
  triggers_replace = [var.chart.version, sha256(local.helm_values), filesha256(var.chart_values_file)]

  provisioner "local-exec" {
    command = <<-EOT
      printf '%s' "$HELM_VALUES" | helm upgrade --install ${var.release} ${var.chart.ref} \
        --version ${var.chart.version} --namespace ${var.namespace} --create-namespace \
        -f - -f ${var.chart_values_file} --rollback-on-failure --wait --timeout 10m
    EOT
    environment = {
      HELM_VALUES = local.helm_values
    }
  }
}
