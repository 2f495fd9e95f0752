#!/usr/bin/env bash
# Builds the local Kubernetes control plane used by the tests and `npm run local -- --kube`:
# kube-apiserver, kube-controller-manager and kube-scheduler (k8s.io/kubernetes), etcd
# (go.etcd.io/etcd/server/v3) and kwok (sigs.k8s.io/kwok, simulated nodes and pods), all from the Go
# module proxy. Built once into a cache folder keyed by the versions below; later runs return at once.
# Prints the folder holding the binaries as its last line of stdout; progress goes to stderr.
# Cold: about 12-15 minutes on 2 idle cores, ~2 GB of memory at the peak, ~250 MB of binaries.
set -euo pipefail

KUBE_VERSION=v1.35.4   # k8s.io/kubernetes; the staging modules are v0.35.4
ETCD_VERSION=v3.6.16   # go.etcd.io/etcd/server/v3
KWOK_VERSION=v0.8.0    # sigs.k8s.io/kwok

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/platform-api-tools
out=$cache_root/kube-$KUBE_VERSION
stamp="kubernetes $KUBE_VERSION etcd $ETCD_VERSION kwok $KWOK_VERSION"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
# KWOK's own stage definitions (node and pod lifecycles), copied from the pinned module at build time.
stages=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)

complete() {
  [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ] || return 1
  for b in "${binaries[@]}"; do [ -x "$out/$b" ] || return 1; done
  for s in "${stages[@]}"; do [ -f "$out/stages/$(basename "$s")" ] || return 1; done
}
if complete; then
  echo "$out"
  exit 0
fi
# --check: only say (exit status) whether the build is there.
[ "${1:-}" = --check ] && exit 1

export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "kube build: Go is required (any recent version; go.mod asks for the toolchain it needs); .ci/run installs it" >&2
  exit 1
fi

# One build at a time per machine (CI and a developer's `npm run local -- --kube` may race).
mkdir -p "$cache_root"
exec 9>"$cache_root/kube-$KUBE_VERSION.lock"
if ! flock -n 9; then
  echo "kube build: another build of $out is running; waiting for it" >&2
  flock 9
fi
if complete; then
  echo "$out"
  exit 0
fi

started=$(date +%s)
step() { echo "kube build [$(( $(date +%s) - started ))s] $*" >&2; }
step "building the local control plane into $out (first run only; about 12-15 min on 2 cores)"

work=$out/.src
mkdir -p "$work/kubernetes" "$work/etcd" "$out"
# GOTOOLCHAIN stays auto: an older go (a distro package) fetches the toolchain kwok asks for from the proxy.
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# etcd: a three-line main in a module of its own.
step "1/4 etcd $ETCD_VERSION"
cat >"$work/etcd/go.mod" <<GOMOD
module platform-api.local/etcd

go 1.25

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
cat >"$work/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
[ -x "$out/etcd" ] || (cd "$work/etcd" && go mod tidy >&2 &&
  go build -trimpath -ldflags '-s -w' -o "$out/etcd.tmp" . && mv "$out/etcd.tmp" "$out/etcd")

# kubernetes: its go.mod replaces every staging module (k8s.io/api, apimachinery, client-go, ...)
# with a local path, so it cannot be `go install`ed; our module replaces each with its published
# v0.x.y instead. The list is read from the module's own go.mod, so it follows the version.
step "2/4 kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION (the long part)"
staging=${KUBE_VERSION/v1./v0.}
kmod=$(cd "$work/etcd" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
{
  echo "module platform-api.local/kubernetes"
  echo
  echo "go 1.25"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*$#\t\1 => \1 '"$staging"'#p' "$kmod"
  echo ")"
} >"$work/kubernetes/go.mod"
echo 'package main' >"$work/kubernetes/doc.go"
n=$(grep -c ' => ' "$work/kubernetes/go.mod")
[ "$n" -ge 20 ] || { echo "kube build: found only $n staging modules in $kmod" >&2; exit 1; }
minor=${KUBE_VERSION#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$out/$cmd" ] && continue
  step "  $cmd"
  (cd "$work/kubernetes" && go build -trimpath -ldflags "$ldflags" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
  mv "$out/$cmd.tmp" "$out/$cmd"
done

# kwok: a plain Go module (no replace directives), so go install works.
step "3/4 kwok $KWOK_VERSION"
[ -x "$out/kwok" ] || GOBIN="$out" go install -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
  "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

step "4/4 kwok stages"
kwok_src=$(cd "$work/etcd" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
mkdir -p "$out/stages"
for s in "${stages[@]}"; do cp "$kwok_src/kustomize/stage/$s" "$out/stages/"; done
chmod -R u+w "$out/stages"

"$out/kube-apiserver" --version >&2
rm -rf "$work"
echo "$stamp" >"$out/.complete"
step "done: $(du -sh "$out" | cut -f1) in $out"
echo "$out"
