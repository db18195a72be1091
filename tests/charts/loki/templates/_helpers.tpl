{{- define "loki.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release name alone when it contains the chart name, so release `loki` renders `loki-read`. */}}
{{- define "loki.fullname" -}}
{{- if contains (include "loki.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "loki.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "loki.selectorLabels" -}}
app.kubernetes.io/name: {{ include "loki.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "loki.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "loki.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* One Loki target's container (dict: context, target, resources). */}}
{{- define "loki.container" -}}
- name: {{ .target }}
  image: {{ .context.Values.image }}
  imagePullPolicy: IfNotPresent
  args:
    - -config.file=/etc/loki/config/config.yaml
    - -target={{ .target }}
  ports:
    - name: http-metrics
      containerPort: 3100
      protocol: TCP
    - name: grpc
      containerPort: 9095
      protocol: TCP
  readinessProbe:
    httpGet:
      path: /ready
      port: http-metrics
    initialDelaySeconds: 30
    timeoutSeconds: 1
  resources:
    {{- toYaml .resources | nindent 4 }}
{{- end -}}
