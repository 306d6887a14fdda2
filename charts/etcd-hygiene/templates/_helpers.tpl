{{- define "etcd-hygiene.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "etcd-hygiene.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "etcd-hygiene.labels" -}}
{{ include "etcd-hygiene.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "etcd-hygiene.serviceAccountName" -}}
{{- default (include "etcd-hygiene.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The permissions the operator's code uses (src/EtcdHygiene.Operator/Controller/OperatorPermissions.cs); a test keeps them equal. */}}
{{- define "etcd-hygiene.policyRules" -}}
- apiGroups: ["etcdhygiene.io"]
  resources: ["registrypolicies"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["etcdhygiene.io"]
  resources: ["registrypolicies/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}


{{/* The Lease's name: set, or derived from the release so that two releases never share one. */}}
{{- define "etcd-hygiene.leaseName" -}}
{{- default (printf "%s-leader" (include "etcd-hygiene.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{/* The tenancy configuration file the operator reads (--tenancy-config). */}}
{{- define "etcd-hygiene.tenancyConfig" -}}
{{- dict "rules" .Values.tenancy.rules | toYaml -}}
{{- end -}}
