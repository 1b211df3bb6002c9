#!/bin/sh
# Installs sockit from a GitHub release:
#
#   curl -fsSL https://github.com/sockit/sockit/releases/latest/download/install.sh | sh
#
# Environment:
#   SOCKIT_VERSION        a release to install, such as 0.2.0 (default: the latest)
#   SOCKIT_INSTALL_DIR    where to put the binary (default: $HOME/.local/bin)
#   SOCKIT_DOWNLOAD_BASE  where SHA256SUMS and the archives are (default: the GitHub release)
#   SOCKIT_REPO           the GitHub repository (default: sockit/sockit)
#   SOCKIT_OS, SOCKIT_ARCH  use these instead of `uname -s` and `uname -m`
#
# The archive is checked against SHA256SUMS before anything is installed; on any failure nothing is
# left behind.
set -eu

fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

say() {
  printf '%s\n' "$*" >&2
}

platforms="x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, x86_64-apple-darwin, aarch64-apple-darwin (Windows: download the .zip from the release page)"

os=${SOCKIT_OS:-$(uname -s)}
arch=${SOCKIT_ARCH:-$(uname -m)}
case "$os" in
  Linux | linux) os_part=unknown-linux-gnu ;;
  Darwin | darwin) os_part=apple-darwin ;;
  *) fail "Cannot install on $os/$arch: sockit is built for $platforms" ;;
esac
case "$arch" in
  x86_64 | amd64) arch_part=x86_64 ;;
  arm64 | aarch64) arch_part=aarch64 ;;
  *) fail "Cannot install on $os/$arch: sockit is built for $platforms" ;;
esac
target="$arch_part-$os_part"
archive="sockit-$target.tar.gz"

repo=${SOCKIT_REPO:-sockit/sockit}
if [ -n "${SOCKIT_DOWNLOAD_BASE:-}" ]; then
  base=${SOCKIT_DOWNLOAD_BASE%/}
elif [ -n "${SOCKIT_VERSION:-}" ]; then
  base="https://github.com/$repo/releases/download/v${SOCKIT_VERSION#v}"
else
  base="https://github.com/$repo/releases/latest/download"
fi
install_dir=${SOCKIT_INSTALL_DIR:-${HOME:?HOME is not set; set SOCKIT_INSTALL_DIR}/.local/bin}

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "Cannot download: neither curl nor wget is installed"
fi

if command -v sha256sum >/dev/null 2>&1; then
  digest() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  digest() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  fail "Cannot verify the download: neither sha256sum nor shasum is installed"
fi

work=$(mktemp -d 2>/dev/null || mktemp -d -t sockit)
staged=""
cleanup() {
  rm -rf "$work"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

say "Downloading sockit for $target from $base"
fetch "$base/SHA256SUMS" "$work/SHA256SUMS" || fail "Cannot download $base/SHA256SUMS"
fetch "$base/$archive" "$work/$archive" || fail "Cannot download $base/$archive"

expected=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no entry for $archive: not installing"
actual=$(digest "$work/$archive")
[ "$expected" = "$actual" ] ||
  fail "Checksum mismatch for $archive (expected $expected, got $actual): not installing"

mkdir "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked" || fail "Cannot unpack $archive"
[ -f "$work/unpacked/sockit" ] || fail "$archive holds no sockit binary"

mkdir -p "$install_dir" || fail "Cannot create $install_dir"
# Copy beside the destination, then rename: an interrupted install never leaves half a binary.
staged="$install_dir/.sockit.$$.tmp"
cp "$work/unpacked/sockit" "$staged" || fail "Cannot write to $install_dir"
chmod 755 "$staged"
mv -f "$staged" "$install_dir/sockit" || fail "Cannot write $install_dir/sockit"
staged=""

say "Installed sockit in $install_dir/sockit"
case ":$PATH:" in
  *":$install_dir:"*) ;;
  *) say "Note: $install_dir is not on your PATH; add it, or run $install_dir/sockit" ;;
esac
"$install_dir/sockit" --version
