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
# The install folder is checked before anything is downloaded, the archive is checked against
# SHA256SUMS and the binary is run once (--version) before it replaces anything; on any failure
# nothing is left behind: no temporary file, no half binary, no folder the script created.
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
if [ -z "${SOCKIT_INSTALL_DIR:-}" ] && [ -z "${HOME:-}" ]; then
  fail "Cannot find the install folder: HOME is not set; set SOCKIT_INSTALL_DIR"
fi
install_dir=${SOCKIT_INSTALL_DIR:-$HOME/.local/bin}
# A relative folder is taken from where the script runs, and written in full: messages name it
# plainly, and no path handed to mkdir, cp, mv or rm can start with "-" and be read as an option.
case "$install_dir" in
  /*) ;;
  *) install_dir="$(pwd)/$install_dir" ;;
esac
dest="$install_dir/sockit"

# The folder is checked before downloading: a folder where the binary goes, a file or a dangling
# symbolic link where the folder goes, or a folder we may not write are refused here, not found
# after the download (or worse, after a rename into the folder named sockit).
refuse_dest_folder() {
  if [ -d "$dest" ]; then
    if [ -L "$dest" ]; then
      fail "Cannot install $dest: it is a symbolic link to a folder; remove it, or set SOCKIT_INSTALL_DIR to another folder"
    fi
    fail "Cannot install $dest: it is a folder; remove it, or set SOCKIT_INSTALL_DIR to another folder"
  fi
}
# usable FOLDER WHAT: FOLDER exists; fails unless it is a folder this user may write.
usable() {
  if [ -L "$1" ] && [ ! -e "$1" ]; then
    fail "Cannot $2: $1 is a symbolic link to nothing"
  fi
  [ -d "$1" ] || fail "Cannot $2: $1 is not a folder"
  if [ ! -w "$1" ] || [ ! -x "$1" ]; then
    fail "Cannot $2: $1 is not writable by $(id -un 2>/dev/null || echo this user)"
  fi
}
# The outermost folder of install_dir that does not exist yet: removed again if the install fails.
created=""
if [ -e "$install_dir" ] || [ -L "$install_dir" ]; then
  usable "$install_dir" "install in $install_dir"
  refuse_dest_folder
else
  parent=$install_dir
  while [ ! -e "$parent" ] && [ ! -L "$parent" ]; do
    created=$parent
    parent=$(dirname "$parent")
  done
  usable "$parent" "create $install_dir"
fi

# A server that stops sending is given up after 30 s without a byte (and each try is retried twice),
# so the installer never waits for ever.
if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 --connect-timeout 30 --speed-limit 1 --speed-time 30 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q --timeout=30 --tries=3 -O "$2" "$1"; }
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

work=$(mktemp -d 2>/dev/null || mktemp -d -t sockit) || fail "Cannot create a temporary folder"
staged=""
done=""
cleanup() {
  rm -rf "$work"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
  # Only folders this run created, innermost first, and only while they are empty.
  if [ -z "$done" ] && [ -n "$created" ]; then
    folder=$install_dir
    while rmdir "$folder" 2>/dev/null && [ "$folder" != "$created" ]; do
      folder=$(dirname "$folder")
    done
  fi
}
trap cleanup EXIT
trap 'cleanup; exit 129' HUP
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

say "Downloading sockit for $target from $base"
fetch "$base/SHA256SUMS" "$work/SHA256SUMS" || fail "Cannot download $base/SHA256SUMS"
fetch "$base/$archive" "$work/$archive" || fail "Cannot download $base/$archive"

# The SHA-256 that SHA256SUMS lists for the archive, lower-cased ("conflict" if it lists two), from
# the lines that `sha256sum -c` (GNU coreutils) or `shasum -a 256 -c` (Perl) would check the archive
# against, and no others. GNU: one CR before the line end is dropped; blanks and one backslash may
# lead; the hex digest, a blank, then ' ' or '*' and the name, or (the style of `md5 -r`, only in a
# file whose first such line has it) the name straight after the blank; or `SHA256 (name) = hex`,
# the blanks around '=' and the one before '(' optional, nothing after the hex. shasum: that tag
# form with its blanks as written and anything after the hex; the hex, one blank, ' ' or '*' and
# the name (its modes '^' and 'U' hash other bytes than the file's, so they are refused here). Hex
# in either case; the name as written or after "./".
expected=$(awk -v name="$archive" '
  function wanted(f) { return f == name || f == "./" name }
  function ishex(s) { return s != "" && s !~ /[^0-9A-Fa-f]/ }
  function hexrun(s,   n) {
    n = 0
    while (n < length(s) && ishex(substr(s, n + 1, 1))) n++
    return n
  }
  function lead(s) {
    sub(/^[ \t]*/, "", s)
    if (substr(s, 1, 1) == "\\") s = substr(s, 2)
    return s
  }
  function gnu(line,   s, t, i, f, rest, c, std) {
    sub(/\r$/, "", line)
    s = lead(line)
    if (substr(s, 1, 6) == "SHA256") {
      t = substr(s, 7)
      if (substr(t, 1, 1) == " ") t = substr(t, 2)
      if (substr(t, 1, 1) == "(") {
        t = substr(t, 2)
        i = length(t)
        while (i > 0 && substr(t, i, 1) != ")") i--
        if (i == 0) return ""
        f = substr(t, 1, i - 1)
        rest = substr(t, i + 1)
        sub(/^[ \t]*/, "", rest)
        if (substr(rest, 1, 1) != "=") return ""
        rest = substr(rest, 2)
        sub(/^[ \t]*/, "", rest)
        return length(rest) == 64 && ishex(rest) && wanted(f) ? rest : ""
      }
    }
    if (length(s) < 65 || !ishex(substr(s, 1, 64))) return ""
    c = substr(s, 65, 1)
    if (c != " " && c != "\t") return ""
    rest = substr(s, 66)
    c = substr(rest, 1, 1)
    std = length(rest) != 1 && (c == " " || c == "*")
    if (style == "") style = std ? "standard" : "reversed"
    if (style != (std ? "standard" : "reversed")) return ""
    f = std ? substr(rest, 2) : rest
    return wanted(f) ? substr(s, 1, 64) : ""
  }
  function perl(line,   s, t, i, f, n, c) {
    if (substr(line, 1, 1) == "#") return ""
    s = lead(line)
    if (substr(s, 1, 3) == "SHA") {
      if (substr(s, 1, 8) != "SHA256 (") return ""
      t = substr(s, 9)
      for (i = length(t) - 4; i >= 1; i--) {
        if (substr(t, i, 4) == ") = " && ishex(substr(t, i + 4, 1))) {
          f = substr(t, 1, i - 1)
          n = hexrun(substr(t, i + 4))
          return n == 64 && wanted(f) ? substr(t, i + 4, 64) : ""
        }
      }
      return ""
    }
    n = hexrun(s)
    c = substr(s, n + 2, 1)
    if (n != 64 || !(substr(s, 65, 1) == " " || substr(s, 65, 1) == "\t")) return ""
    if (c != " " && c != "*") return ""
    f = substr(s, 67)
    return wanted(f) ? substr(s, 1, 64) : ""
  }
  {
    hex = gnu($0)
    if (hex == "") hex = perl($0)
    hex = tolower(hex)
    if (hex != "" && first == "") first = hex
    if (hex != "" && hex != first) conflict = 1
  }
  END { print conflict ? "conflict" : first }' "$work/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no entry for $archive: not installing"
[ "$expected" != conflict ] ||
  fail "SHA256SUMS lists different checksums for $archive: not installing"
actual=$(digest "$work/$archive")
[ "$expected" = "$actual" ] ||
  fail "Checksum mismatch for $archive (expected $expected, got $actual): not installing"

mkdir "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked" || fail "Cannot unpack $archive"
[ -f "$work/unpacked/sockit" ] || fail "$archive holds no sockit binary"

mkdir -p "$install_dir" || fail "Cannot create $install_dir"
# Copy beside the destination, try it, then rename: an interrupted install never leaves half a
# binary, and a binary that does not run here never replaces one that does.
staged="$install_dir/.sockit.$$.tmp"
cp "$work/unpacked/sockit" "$staged" || fail "Cannot write to $install_dir"
chmod 755 "$staged" || fail "Cannot make $staged executable"
version=$("$staged" --version) ||
  fail "The downloaded sockit does not run here ($staged --version failed): not installing"
# A folder may have appeared there since the check: mv would move the binary into it.
refuse_dest_folder
mv -f "$staged" "$dest" || fail "Cannot write $dest"
staged=""
done=1

say "Installed sockit in $dest"
case ":$PATH:" in
  *":$install_dir:"*) ;;
  *) say "Note: $install_dir is not on your PATH; add it, or run $dest" ;;
esac
printf '%s\n' "$version"
