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

{{/* The worker's own ServiceAccount: no Kubernetes rights, no token mounted (AWS access only). */}}
{{- define "platform-api.workerServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-worker" (include "platform-api.fullname" .)) .Values.serviceAccount.worker.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.worker.name -}}
{{- end -}}
{{- end -}}

{{/* The ClusterRole with the job rights, bound only per namespace (rbac.yaml). */}}
{{- define "platform-api.jobsRoleName" -}}
{{- printf "%s-jobs" (include "platform-api.fullname" .) -}}
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
{{- if and .Values.tracing.enabled (not .Values.tracing.endpoint) -}}
{{- fail "tracing.enabled needs tracing.endpoint (the OTLP collector)" -}}
{{- end -}}
{{- if eq (int .Values.metrics.port) (int .Values.config.containerPort) -}}
{{- fail "metrics.port must differ from config.containerPort: /metrics is served on its own port, which the Ingress never routes" -}}
{{- end -}}
{{- with .Values.auth.externalSecret -}}
{{- if and .enabled $.Values.auth.existingSecret -}}
{{- fail "auth.externalSecret.enabled and auth.existingSecret both name the key Secret: set one" -}}
{{- end -}}
{{- if and .enabled (or (not .remoteKey) (not .secretStoreRef.name)) -}}
{{- fail "auth.externalSecret.enabled needs auth.externalSecret.remoteKey and auth.externalSecret.secretStoreRef.name" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
OpenTelemetry variables of one Deployment (tracing.enabled only): the endpoint and sampler, the
headers from a Secret, and the pod's identity as resource attributes through the downward API.
Called with (dict "ctx" $ "component" "api"|"worker").
*/}}
{{- define "platform-api.tracingEnv" -}}
{{- $ := .ctx -}}
{{- $t := $.Values.tracing -}}
- name: K8S_POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: K8S_NAMESPACE_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: K8S_NODE_NAME
  valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $t.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $t.protocol | quote }}
- name: OTEL_EXPORTER_OTLP_TIMEOUT
  value: {{ $t.timeoutMs | int64 | quote }}
- name: OTEL_BSP_MAX_QUEUE_SIZE
  value: {{ $t.maxQueueSize | int64 | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $t.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $t.samplerArg | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ $t.serviceName | default (include "platform-api.fullname" $) | quote }}
{{- with $t.headersSecret.name }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $t.headersSecret.key }}
{{- end }}
{{- $attrs := list "k8s.pod.name=$(K8S_POD_NAME)" "k8s.namespace.name=$(K8S_NAMESPACE_NAME)" "k8s.node.name=$(K8S_NODE_NAME)" (printf "k8s.deployment.name=%s" (include "platform-api.componentName" .)) }}
{{- range $k, $v := $t.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k $v) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- end -}}

{{/*
The key document our Secret holds (docs/authorization.md): auth.keys, plus auth.apiKeys as `admin`
entries. With neither, and auth.generateDevKey: the document generated at install and kept across
upgrades (looked up in the cluster), else a new one, but only when a cluster answers: rendered
without one (`helm template`, a GitOps tool) it is empty, so no render ever changes a key.
*/}}
{{- define "platform-api.keyDocument" -}}
{{- $entries := list -}}
{{- range .Values.auth.keys -}}
{{- $entries = append $entries . -}}
{{- end -}}
{{- range $i, $k := .Values.auth.apiKeys -}}
{{- $entries = append $entries (dict "id" (printf "values-%d" $i) "key" $k "scopes" (list "admin")) -}}
{{- end -}}
{{- if $entries -}}
{{- dict "keys" $entries | toYaml -}}
{{- else if .Values.auth.generateDevKey -}}
{{- $ns := include "platform-api.namespace" . -}}
{{- $existing := lookup "v1" "Secret" $ns (include "platform-api.fullname" .) -}}
{{- if and $existing (index ($existing.data | default dict) "api-keys") -}}
{{- index $existing.data "api-keys" | b64dec -}}
{{- else if (lookup "v1" "Namespace" "" $ns) -}}
{{- dict "keys" (list (dict "id" "dev" "key" (printf "gen-%s" (randAlphaNum 40)) "scopes" (list "admin"))) | toYaml -}}
{{- end -}}
{{- end -}}
{{- end -}}
