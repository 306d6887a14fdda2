# Installs the tools the tests and the demo need when they are missing. Sourced, not run.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# etcd 3.4 from Debian's etcd-server (etcd) and etcd-client (etcdctl).
ensure_etcd() {
    local missing=()
    command -v etcd >/dev/null || missing+=(etcd-server)
    command -v etcdctl >/dev/null || missing+=(etcd-client)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} from Debian"
        apt_install "${missing[@]}"
    fi
    etcd --version | head -1
}

# promtool and prometheus from Debian's prometheus package (alert rule tests, a real scrape).
ensure_prometheus() {
    if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
        echo "installing prometheus from Debian"
        apt_install prometheus
    fi
    promtool --version 2>&1 | head -1
}
