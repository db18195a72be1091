{{/* The release-prefixed base name: the release name alone when it already contains the chart name. */}}
{{- define "thanos.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Every object's labels, sorted as bitnami's charts print them; the caller adds the component. */}}
{{- define "thanos.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels; the caller adds the component. */}}
{{- define "thanos.selectorLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/name: {{ .Chart.Name }}
{{- end -}}

{{- define "thanos.image" -}}
{{ printf "%s/%s:%s" .Values.image.registry .Values.image.repository .Values.image.tag }}
{{- end -}}

{{/* The soft (preferred) anti-affinity that spreads one component's pods over nodes. */}}
{{- define "thanos.affinity" -}}
{{- $ := .context -}}
{{- if eq .preset "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - podAffinityTerm:
          labelSelector:
            matchLabels:
              {{- include "thanos.selectorLabels" $ | nindent 14 }}
              app.kubernetes.io/component: {{ .component }}
          topologyKey: kubernetes.io/hostname
        weight: 1
{{- end }}
{{- end -}}
