#!/usr/bin/env bash
# The README's benchmark command: measures etcd-hygiene against the baselines users have today
# (etcdctl's recovery procedure, `etcdctl defrag --cluster`) side by side in one run, on real
# local etcd clusters, and writes bench/results/latest.md and its charts, and latest.json (one number per
# named key, for scripts comparing runs). About 35 minutes; prints as it goes. One scenario alone:
#   dotnet bench/EtcdHygiene.Bench/bin/Release/net10.0/etcd-hygiene-bench.dll emergency
# (NOSPACE under routine maintenance at 1,000 policies; writes bench/results/emergency.md and updates latest.json);
# likewise `events` (the Event objects one policy writes in an hour at the defaults: events.md).
#   BENCH_ETCD  the etcd to measure: 3.5 (default: the newest Debian serves) or 3.4 (the machine's);
#               the results name it, and go to bench/results/latest.md for the default and
#               bench/results/etcd-3.4.md for 3.4.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh

version=${BENCH_ETCD:-3.5}
use_etcd "$version"
output=bench/results/latest.md
[ "$version" = 3.5 ] || output=bench/results/etcd-$version.md
echo "building (Release) and publishing the Native AOT executable the scenarios run (artifacts/publish)"
dotnet build bench/EtcdHygiene.Bench/EtcdHygiene.Bench.csproj -c Release -v quiet -nologo | grep -E "error|Warn" || true
publish_aot artifacts/publish
# BENCH_SCENARIO runs one scenario (startup, nospace…) into its own file instead of all into $output.
dotnet bench/EtcdHygiene.Bench/bin/Release/net10.0/etcd-hygiene-bench.dll "${BENCH_SCENARIO:-all}" --output "$output"
