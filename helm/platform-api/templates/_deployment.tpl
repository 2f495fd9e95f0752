{{/*
One Deployment; api and worker differ only in role, sizing and whether the API keys are mounted.
Called with (dict "ctx" $ "component" "api"|"worker").
*/}}
{{- define "platform-api.deployment" -}}
{{- $ := .ctx -}}
{{- $c := index $.Values .component -}}
{{- $role := ternary .component "all" $.Values.worker.enabled -}}
{{- $servesApi := ne .component "worker" -}}
{{- $selector := include "platform-api.componentSelectorLabels" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "platform-api.componentName" . }}
  namespace: {{ include "platform-api.namespace" $ }}
  labels:
    {{- include "platform-api.componentLabels" . | nindent 4 }}
  {{- with (include "platform-api.annotations" $) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  {{- if not (or $c.autoscaling.enabled (and (eq .component "worker") $.Values.keda.enabled)) }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 25%, maxUnavailable: 0 }
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "platform-api.componentLabels" . | nindent 8 }}
        {{- with $c.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum }}
        {{- if $servesApi }}
        checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") $ | cat (include "platform-api.apiKeysSecretName" $) $.Values.auth.existingSecretKey | sha256sum }}
        {{- end }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "platform-api.serviceAccountName" $ }}
      automountServiceAccountToken: {{ $.Values.serviceAccount.automountServiceAccountToken }}
      {{- with $.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $c.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $.Values.podSecurityContext | nindent 8 }}
      # preStop sleep + the app's own drain and close, plus a margin so the app exits before a SIGKILL.
      terminationGracePeriodSeconds: {{ add $.Values.shutdown.drainDelaySeconds $.Values.shutdown.timeoutSeconds 5 }}
      {{- if $c.affinity }}
      affinity:
        {{- toYaml $c.affinity | nindent 8 }}
      {{- else if eq $c.podAntiAffinityPreset "soft" }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 1
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- $selector | nindent 20 }}
      {{- else if eq $c.podAntiAffinityPreset "hard" }}
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  {{- $selector | nindent 18 }}
      {{- end }}
      {{- if $c.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml $c.topologySpreadConstraints | nindent 8 }}
      {{- else if $c.zoneSpreadPreset }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          matchLabelKeys: [pod-template-hash]
          labelSelector:
            matchLabels:
              {{- $selector | nindent 14 }}
      {{- end }}
      {{- with $c.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "platform-api.image" $ }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          securityContext:
            {{- toYaml $.Values.containerSecurityContext | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ $.Values.config.containerPort }}
              protocol: TCP
            - name: metrics
              containerPort: {{ $.Values.metrics.port }}
              protocol: TCP
          env:
            - name: APP_ROLE
              value: {{ $role }}
            {{- if $.Values.redis.existingSecret }}
            - name: REDIS_URL
              valueFrom:
                secretKeyRef:
                  name: {{ $.Values.redis.existingSecret }}
                  key: {{ $.Values.redis.existingSecretKey }}
            {{- end }}
            {{- if $servesApi }}
            - name: API_KEYS_FILE
              value: /etc/platform-api/keys/{{ include "platform-api.apiKeysSecretKey" $ }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "platform-api.fullname" $ }}
            {{- with $.Values.config.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet: { path: /health/live, port: http }
            {{- toYaml $.Values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: { path: /health/live, port: http }
            {{- toYaml $.Values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: { path: /health/ready, port: http }
            {{- toYaml $.Values.probes.readiness | nindent 12 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $.Values.shutdown.drainDelaySeconds }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $servesApi }}
            - name: api-keys
              mountPath: /etc/platform-api/keys
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $.Values.tmpVolumeSizeLimit }}
        {{- if $servesApi }}
        - name: api-keys
          secret:
            secretName: {{ include "platform-api.apiKeysSecretName" $ }}
            defaultMode: 288 # 0440 in octal: YAML 1.1 and 1.2 parsers disagree on a leading 0
            items:
              - key: {{ include "platform-api.apiKeysSecretKey" $ }}
                path: {{ include "platform-api.apiKeysSecretKey" $ }}
        {{- end }}
{{- end -}}
