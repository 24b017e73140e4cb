#!/usr/bin/env bash
# Fetches qemu-plugin.h (QEMU's TCG plugin API header) from Debian's `qemu` source package, matching the
# installed qemu-system-arm, so `tinyopt emulate` can build its instruction-count plugin
# (tools/qemu-insncount/). Debian ships no plugin and no binary package holds this header
# (docs/emulation.md). The header is GPL-2.0-or-later; it is fetched at install time, never vendored.
#
# How (no system configuration change): a temporary apt source list with `Types: deb-src` copies of
# /etc/apt/sources.list.d/*.sources, private apt lists and cache, `apt-get source --download-only`, then
# the one header is extracted from the .orig tarball. Idempotent: nothing is done when the header for this
# QEMU version is already installed.
#
# Usage: scripts/get-qemu-plugin-h.sh [DEST_DIR]   (default /usr/local/include/tinyopt-qemu, or
#        $TINYOPT_QEMU_PLUGIN_H_DIR). Writes DEST_DIR/qemu-plugin.h and DEST_DIR/qemu-version.
set -euo pipefail

dest="${1:-${TINYOPT_QEMU_PLUGIN_H_DIR:-/usr/local/include/tinyopt-qemu}}"
version="$(dpkg-query -W -f='${source:Version}' qemu-system-arm 2>/dev/null || true)"
if [[ -z $version ]]; then
  echo "get-qemu-plugin-h: qemu-system-arm is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [[ -f $dest/qemu-plugin.h && "$(cat "$dest/qemu-version" 2>/dev/null)" == "$version" ]]; then
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/src"
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  sed -E 's/^Types:.*/Types: deb-src/' "$f" >"$tmp/parts/$(basename "$f")"
done
if [[ -f /etc/apt/sources.list ]]; then  # one-line format: deb URL SUITE COMPONENTS -> deb-src
  sed -nE 's/^deb[[:space:]]/deb-src /p' /etc/apt/sources.list >"$tmp/parts/sources-list.list"
fi
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$tmp/parts"
          -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::Archives=$tmp/archives" -o "APT::Sandbox::User=$(id -un)")
echo "get-qemu-plugin-h: fetching Debian's qemu=$version source package (about 25 MB) for qemu-plugin.h"
apt-get "${apt_opts[@]}" -qq update
(cd "$tmp/src" && apt-get "${apt_opts[@]}" -qq source --download-only "qemu=$version" >/dev/null)
orig=("$tmp"/src/qemu_*.orig.tar.*)
if ((${#orig[@]} != 1)); then
  echo "get-qemu-plugin-h: expected one qemu .orig tarball, found ${#orig[@]}" >&2
  exit 1
fi
tar -xf "${orig[0]}" -C "$tmp/src" --wildcards '*/include/qemu/qemu-plugin.h'
header=("$tmp"/src/*/include/qemu/qemu-plugin.h)
mkdir -p "$dest"
cp "${header[0]}" "$dest/qemu-plugin.h.tmp" && mv "$dest/qemu-plugin.h.tmp" "$dest/qemu-plugin.h"
echo "$version" >"$dest/qemu-version"
echo "get-qemu-plugin-h: installed $dest/qemu-plugin.h (QEMU $version)"
