#!/usr/bin/env bash
# The README's benchmark command: measures etcd-hygiene against the baselines users have today
# (etcdctl's recovery procedure, `etcdctl defrag --cluster`) side by side in one run, on real
# local etcd clusters, and writes bench/results/latest.md. About 6 minutes; prints as it goes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh

ensure_etcd
echo "building (Release)"
dotnet build bench/EtcdHygiene.Bench/EtcdHygiene.Bench.csproj -c Release -v quiet -nologo | grep -E "error|Warn" || true
dotnet bench/EtcdHygiene.Bench/bin/Release/net10.0/etcd-hygiene-bench.dll all --output bench/results/latest.md
