{{/* Labels carried by every resource of the chart. */}}
{{- define "runai-backend.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels; each workload adds app.kubernetes.io/component. */}}
{{- define "runai-backend.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* A `resources:` key from a values map: `resources: {}` when the map is empty. */}}
{{- define "runai-backend.resources" -}}
{{- if . -}}
resources:
{{ toYaml . | indent 2 }}
{{- else -}}
resources: {}
{{- end -}}
{{- end -}}
