{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "platform-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-based name; the release name alone when it already contains the chart name. */}}
{{- define "platform-api.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's resources: <fullname>-api, <fullname>-worker. */}}
{{- define "platform-api.componentName" -}}
{{- printf "%s-%s" (include "platform-api.fullname" .ctx | trunc 56 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "platform-api.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "platform-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The recommended app.kubernetes.io labels plus commonLabels. */}}
{{- define "platform-api.labels" -}}
helm.sh/chart: {{ include "platform-api.chart" . }}
{{ include "platform-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: platform-api
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selectors use name and instance only: they must never change across upgrades. */}}
{{- define "platform-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels and selector labels of one component (dict "ctx" $ "component" "api"). */}}
{{- define "platform-api.componentLabels" -}}
{{ include "platform-api.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}
{{- define "platform-api.componentSelectorLabels" -}}
{{ include "platform-api.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "platform-api.annotations" -}}
{{- with .Values.commonAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "platform-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "platform-api.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "platform-api.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s/%s@%s" .Values.image.registry .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Secret holding the API keys: ours, or the one the user manages. */}}
{{- define "platform-api.apiKeysSecretName" -}}
{{- default (include "platform-api.fullname" .) .Values.auth.existingSecret -}}
{{- end -}}
{{- define "platform-api.apiKeysSecretKey" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecretKey }}{{- else -}}api-keys{{- end -}}
{{- end -}}

{{/* Replicas a component is guaranteed: HPA/KEDA minimum, or the fixed count. */}}
{{- define "platform-api.minReplicas" -}}
{{- $c := index .ctx.Values .component -}}
{{- if and (eq .component "worker") .ctx.Values.keda.enabled -}}
{{- .ctx.Values.keda.minReplicaCount -}}
{{- else if $c.autoscaling.enabled -}}
{{- $c.autoscaling.minReplicas -}}
{{- else -}}
{{- $c.replicaCount -}}
{{- end -}}
{{- end -}}

{{/* Fail early on combinations the schema cannot express. */}}
{{- define "platform-api.validateValues" -}}
{{- if le (int .Values.shutdown.timeoutSeconds) (int .Values.shutdown.drainDelaySeconds) -}}
{{- fail "shutdown.timeoutSeconds must be greater than shutdown.drainDelaySeconds" -}}
{{- end -}}
{{- if and .Values.keda.enabled (not .Values.worker.enabled) -}}
{{- fail "keda.enabled scales the worker Deployment: set worker.enabled=true" -}}
{{- end -}}
{{- if and .Values.keda.enabled (not .Values.keda.queueUrl) -}}
{{- fail "keda.enabled needs keda.queueUrl" -}}
{{- end -}}
{{- if eq (int .Values.metrics.port) (int .Values.config.containerPort) -}}
{{- fail "metrics.port must differ from config.containerPort: /metrics is served on its own port, which the Ingress never routes" -}}
{{- end -}}
{{- end -}}

{{/*
The API keys our Secret holds: auth.apiKeys, else the key generated at install and kept across
upgrades (looked up in the cluster), else a new random one.
*/}}
{{- define "platform-api.apiKeys" -}}
{{- if .Values.auth.apiKeys -}}
{{- join "\n" .Values.auth.apiKeys -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" (include "platform-api.namespace" .) (include "platform-api.fullname" .) -}}
{{- if and $existing (index ($existing.data | default dict) "api-keys") -}}
{{- index $existing.data "api-keys" | b64dec -}}
{{- else -}}
{{- printf "gen-%s" (randAlphaNum 40) -}}
{{- end -}}
{{- end -}}
{{- end -}}
