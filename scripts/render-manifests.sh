#!/usr/bin/env bash
# Regenerates what is derived from the code and the chart; a test fails when a committed copy is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh
ensure_helm >/dev/null
dotnet run --project src/EtcdHygiene.Operator -v quiet -- crd -o config/crd/etcdhygiene.io_registrypolicies.yaml
cp config/crd/etcdhygiene.io_registrypolicies.yaml charts/etcd-hygiene/files/
cp config/prometheus/etcd-hygiene-rules.yaml config/grafana/etcd-hygiene-dashboard.json charts/etcd-hygiene/files/
{
    echo "# Generated: helm template etcd-hygiene charts/etcd-hygiene --namespace etcd-hygiene --include-crds"
    echo "# For clusters without Helm: kubectl create namespace etcd-hygiene && kubectl apply -f config/install/etcd-hygiene.yaml"
    helm template etcd-hygiene charts/etcd-hygiene --namespace etcd-hygiene --include-crds
} > config/install/etcd-hygiene.yaml
{
    echo "# Generated: helm template etcd-hygiene charts/etcd-hygiene --namespace etcd-hygiene --show-only templates/rbac.yaml"
    helm template etcd-hygiene charts/etcd-hygiene --namespace etcd-hygiene --show-only templates/rbac.yaml
} > config/rbac/rbac.yaml
