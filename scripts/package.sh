#!/usr/bin/env bash
# Makes Ward's Linux bundle, dist/Ward.tar.xz (or the path given), on a fresh Debian
# or Ubuntu machine that has Go and git: `fyne package -os linux -release` with
# Fyne's tool, then the bundle's desktop entry replaced by the one Ward writes.
#
#  - The tool is fyne.io/tools at FYNE_TOOLS (the version the Go module proxy serves),
#    installed into a temporary folder: nothing outside it changes.
#  - It packages a copy of the tree (the tracked files and the new ones git does not
#    ignore, as they are now), since the tool rewrites FyneApp.toml (Build): the
#    repository's copy is never touched.
#  - Fyne's tool writes MimeType only from [CanOpen], with Exec=ward %F (a list of
#    files, which browsers do not fill with an otpauth: URL). The entry in the
#    bundle is instead `ward install-desktop --print`, run from the bundle's own
#    binary: the entry install-desktop writes (Exec=ward %u, the otpauth and
#    otpauth-migration scheme handlers), the rule kept once in internal/desktop.
#
# Install it with: tar xf dist/Ward.tar.xz && cd ward && sudo make install (under
# /usr/local, or /usr where there is no /usr/local), or make user-install (~/.local).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
check_go
need_packages "${BUILD_PACKAGES[@]}" xz-utils

FYNE_TOOLS=v1.7.4
out=${1:-dist/Ward.tar.xz}
case $out in /*) ;; *) out=$PWD/$out ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

GOBIN="$work/bin" go install "fyne.io/tools/cmd/fyne@$FYNE_TOOLS"

mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -C "$work/src" -xf -
(cd "$work/src" && "$work/bin/fyne" package -os linux -release)

mkdir "$work/bundle"
tar -C "$work/bundle" -xJf "$work/src/Ward.tar.xz"
top=$(cd "$work/bundle" && ls)
entry=$(find "$work/bundle" -path '*/share/applications/*.desktop')
bin=$(find "$work/bundle" -path '*/bin/ward' -type f)
if [ "$(echo "$top" | wc -l)" -ne 1 ] || [ "$(echo "$entry" | wc -l)" -ne 1 ] || [ -z "$bin" ] ||
  [ "$(basename "$entry")" != io.github.wardauth.ward.desktop ]; then
  echo "fyne package made a bundle this script does not know:" >&2
  (cd "$work/bundle" && find . -type f) >&2
  exit 1
fi
"$bin" install-desktop --print >"$entry"
grep -qx 'Exec=ward %u' "$entry" || { echo "the entry from ward install-desktop --print runs no ward %u:" >&2; cat "$entry" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
tar -C "$work/bundle" --owner=0 --group=0 --numeric-owner -cJf "$out.tmp" "$top"
mv "$out.tmp" "$out"
echo "$out: $(du -h "$out" | cut -f1), the desktop entry:"
sed 's/^/  /' "$entry"
