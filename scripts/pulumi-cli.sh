#!/usr/bin/env bash
# shellcheck disable=SC2154 # repo_root and cache_root come from scripts/toolchain.sh
# Defines ensure_pulumi_cli, which puts on PATH a Pulumi CLI of the same version as the
# project's @pulumi/pulumi, with the two programs the CLI needs beside it to run this project:
# the Node.js language host (pulumi-language-nodejs) and the dynamic provider shim
# (pulumi-resource-pulumi-nodejs). Sourced by scripts/toolchain.sh after ensure_node and
# ensure_dependencies; uses its repo_root, cache_root, say and die.
#
# Where the CLI comes from, first match wins:
#   1. a pulumi already on PATH at that version, with the other two on PATH as well;
#   2. $cache_root/pulumi/v<version>/bin, filled by an earlier run of 3 or 4;
#   3. go: the CLI built from the Go module github.com/pulumi/pulumi/pkg/v3, and the language
#      host from tools/pulumi-language-nodejs (the official host's Go module is not tagged and
#      not every module proxy serves it);
#   4. curl: Pulumi's installer, https://get.pulumi.com.
# CF_PRIORITY_PULUMI_VERSION asks for another CLI version than the installed SDK's.

pulumi_host_src="$repo_root/tools/pulumi-language-nodejs"
pulumi_shim="pulumi-resource-pulumi-nodejs"

ensure_pulumi_cli() {
  local version dir
  version="${CF_PRIORITY_PULUMI_VERSION:-$(pulumi_sdk_version)}" ||
    die "could not read the version of node_modules/@pulumi/pulumi"
  version="${version#v}"
  dir="$cache_root/pulumi/v$version"

  # The CLI asks the Pulumi service for a newer release on every command otherwise.
  export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"

  if pulumi_on_path_fits "$version"; then
    say "using Pulumi $(pulumi version) from $(dirname "$(command -v pulumi)")"
    return
  fi

  if ! pulumi_cache_ready "$dir"; then
    if command -v go >/dev/null 2>&1; then
      pulumi_build_from_go_modules "$version" "$dir"
    elif command -v curl >/dev/null 2>&1; then
      pulumi_install_with_installer "$version" "$dir"
    else
      die "no Pulumi CLI v$version: none on PATH, none in $dir, and neither go nor curl to get one.
  Install Pulumi v$version by hand (https://www.pulumi.com/docs/install/), e.g.
    curl -fsSL https://get.pulumi.com | sh -s -- --version $version
  and put ~/.pulumi/bin on PATH; or install Go (https://go.dev/dl/) and run this again to build
  it from Go modules; or set CF_PRIORITY_PULUMI_VERSION to the version of a pulumi on PATH."
    fi
  elif pulumi_host_stale "$dir"; then
    pulumi_rebuild_host "$version" "$dir"
  fi

  export PATH="$dir/bin:$PATH"
  say "using Pulumi $(pulumi version) from $dir/bin"
}

# The version of the @pulumi/pulumi that npm installed.
pulumi_sdk_version() {
  node -p 'require(process.argv[1]).version' "$repo_root/node_modules/@pulumi/pulumi/package.json"
}

# True when the pulumi on PATH is at the version and its language host and dynamic provider
# shim are on PATH too (Pulumi's installer puts all three in ~/.pulumi/bin).
pulumi_on_path_fits() {
  local version="$1" found
  command -v pulumi >/dev/null 2>&1 || return 1
  found="$(pulumi version 2>/dev/null || true)"
  if [ "$found" != "v$version" ]; then
    say "ignoring the pulumi on PATH: it is ${found:-of unknown version}, not v$version"
    return 1
  fi
  local tool
  for tool in pulumi-language-nodejs "$pulumi_shim"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      say "ignoring the pulumi on PATH: there is no $tool on PATH"
      return 1
    fi
  done
}

# True when an earlier run left a complete CLI in dir.
pulumi_cache_ready() {
  local dir="$1" tool
  [ -f "$dir/.complete" ] || return 1
  for tool in pulumi pulumi-language-nodejs "$pulumi_shim"; do
    [ -x "$dir/bin/$tool" ] || return 1
  done
}

# True when dir holds a language host built from other sources than tools/ has now.
pulumi_host_stale() {
  local dir="$1" route="" stamp=""
  read -r route stamp <"$dir/.complete" || true
  [ "$route" = go ] && [ "$stamp" != "$(pulumi_host_stamp)" ]
}

# A checksum of the language host's sources, kept in the marker to notice edits.
pulumi_host_stamp() {
  cat "$pulumi_host_src"/go.mod "$pulumi_host_src"/go.sum "$pulumi_host_src"/*.go | cksum
}

# Builds the CLI and the language host into a directory beside dir, then moves it into place,
# so an interrupted build never leaves a half-filled cache.
pulumi_build_from_go_modules() {
  local version="$1" dir="$2" tmp log
  mkdir -p "$(dirname "$dir")"
  tmp="$(mktemp -d "$(dirname "$dir")/.build.XXXXXX")" && chmod 755 "$tmp"
  log="$(dirname "$dir")/build-v$version.log"
  say "building Pulumi CLI v$version from Go modules into $dir (log: $log)"
  say "the first build downloads and compiles the CLI's dependencies: it takes several minutes"

  if ! (pulumi_go_build_cli "$version" "$tmp" && pulumi_go_build_host "$version" "$tmp/bin") \
    >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -rf "$tmp"
    die "could not build Pulumi v$version from Go modules (full log: $log). Install Pulumi v$version
  by hand instead: curl -fsSL https://get.pulumi.com | sh -s -- --version $version"
  fi
  rm -rf "$tmp/module"
  pulumi_install_shim "$tmp/bin"
  echo "go $(pulumi_host_stamp)" >"$tmp/.complete"

  rm -rf "$dir"
  mv "$tmp" "$dir"
  say "built Pulumi CLI v$version"
}

# Builds github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the version into tmp/bin/pulumi. The
# module carries replace directives, which only apply to the main module, so it is built as a
# dependency of a throwaway module that copies them.
pulumi_go_build_cli() {
  local version="$1" tmp="$2" pkg=github.com/pulumi/pulumi/pkg/v3 gomod replacements replacement
  # Each step returns on failure by itself: callers run this in a condition, where set -e is off.
  export GOFLAGS=-mod=mod GOWORK=off
  mkdir -p "$tmp/module" "$tmp/bin" && cd "$tmp/module" || return
  go mod init pulumi-cli-build >/dev/null 2>&1 || return

  gomod="$(go mod download -json "$pkg@v$version" |
    node -p 'JSON.parse(require("fs").readFileSync(0)).GoMod')" || return
  # shellcheck disable=SC2016 # a JavaScript template string, not a shell expansion
  replacements="$(go mod edit -json "$gomod" | node -e '
    const mod = JSON.parse(require("fs").readFileSync(0));
    for (const r of mod.Replace ?? []) {
      // Replacements by local paths point into the Pulumi repository itself; skip them.
      if (r.New.Version) console.log(`${r.Old.Path}=${r.New.Path}@${r.New.Version}`);
    }')" || return
  for replacement in $replacements; do
    go mod edit -replace "$replacement" || return
  done

  go get "$pkg/cmd/pulumi@v$version" || return
  go build -o "$tmp/bin/pulumi" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" "$pkg/cmd/pulumi"
}

# Builds tools/pulumi-language-nodejs into bin, from the go.mod and go.sum in the repository.
pulumi_go_build_host() {
  local version="$1" bin="$2"
  cd "$pulumi_host_src" || return
  GOFLAGS=-mod=readonly GOWORK=off go build -o "$bin/pulumi-language-nodejs" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" .
}

# Rebuilds only the language host in dir, when its sources changed since dir was filled.
pulumi_rebuild_host() {
  local version="$1" dir="$2" tmp
  if ! command -v go >/dev/null 2>&1; then
    say "warning: $pulumi_host_src changed since $dir was built, and there is no go to rebuild it"
    return
  fi
  say "rebuilding the language host from $pulumi_host_src"
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  if ! (pulumi_go_build_host "$version" "$tmp"); then
    rm -rf "$tmp"
    die "could not build $pulumi_host_src (see the go output above)"
  fi
  mv "$tmp/pulumi-language-nodejs" "$dir/bin/pulumi-language-nodejs"
  rm -rf "$tmp"
  echo "go $(pulumi_host_stamp)" >"$dir/.complete"
}

# Copies @pulumi/pulumi's dynamic provider shim next to the CLI, where the CLI looks for it
# first. The shim finds the provider code from the working directory, so any copy will do;
# copying also restores its execute bit, which npm does not always keep.
pulumi_install_shim() {
  local bin="$1" shim="$repo_root/node_modules/@pulumi/pulumi/$pulumi_shim"
  [ -f "$shim" ] || die "no $pulumi_shim in node_modules/@pulumi/pulumi; run npm ci again"
  cp "$shim" "$bin/$pulumi_shim"
  chmod 755 "$bin/$pulumi_shim"
}

# Installs the CLI with Pulumi's installer, which ships the official language host and the
# dynamic provider shim with it.
pulumi_install_with_installer() {
  local version="$1" dir="$2" tmp
  mkdir -p "$(dirname "$dir")"
  tmp="$(mktemp -d "$(dirname "$dir")/.install.XXXXXX")" && chmod 755 "$tmp"
  say "installing Pulumi CLI v$version with Pulumi's installer (https://get.pulumi.com) into $dir"

  if ! curl -fsSL https://get.pulumi.com |
    sh -s -- --version "$version" --install-root "$tmp" --no-edit-path; then
    rm -rf "$tmp"
    die "Pulumi's installer failed. Install Pulumi v$version by hand (https://www.pulumi.com/docs/install/),
  or install Go (https://go.dev/dl/) and run this again to build the CLI from Go modules."
  fi
  [ -x "$tmp/bin/pulumi" ] || die "Pulumi's installer left no $tmp/bin/pulumi"
  [ -x "$tmp/bin/$pulumi_shim" ] || pulumi_install_shim "$tmp/bin"
  echo "installer" >"$tmp/.complete"

  rm -rf "$dir"
  mv "$tmp" "$dir"
}
