#!/usr/bin/env bash
# Lays out the OCI image's files for Jib (cmd/pom.xml, profile "image"); no Docker daemon, no
# registry. Two steps around the jlink that Maven runs with its toolchain JDK:
#
#   image-root.sh prepare TARGET   a fresh TARGET/image/root: /etc (passwd, group, nsswitch), /tmp,
#                                  /data, /opt/weft/{weft.jar,weft.jvm.options}
#   image-root.sh libs TARGET      the C libraries the linked JRE needs (glibc and its loader),
#                                  copied from this build machine as ldd resolves them
#
# Why the build machine's glibc: no base image can be pulled here or in CI, and a JRE needs only
# glibc (the JDK bundles zlib). The libraries are the ones the JRE was just run against by the
# test that starts it, and need no network. The limit: the image has the build machine's
# architecture (an amd64 build makes an amd64 image) and needs a glibc Linux to build on.
set -euo pipefail
step="$1"
target="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$target/image/root"

case "$step" in
prepare)
  rm -rf "$target/image"
  mkdir -p "$root/etc" "$root/tmp" "$root/data" "$root/opt/weft"
  # A numeric non-root user with an entry, so tools (and Java's user.name/user.home) find it.
  cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
weft:x:65532:65532:weft:/data:/sbin/nologin
PASSWD
  cat > "$root/etc/group" <<'GROUP'
root:x:0:
weft:x:65532:
GROUP
  # glibc's defaults without this file try DNS before /etc/hosts.
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  cp "$target/weft.jar" "$root/opt/weft/weft.jar"
  cp "$here/../main/jvm/weft.jvm.options" "$root/opt/weft/weft.jvm.options"
  ;;
libs)
  java_dir="$root/opt/java"
  [ -x "$java_dir/bin/java" ] || { echo "image-root.sh: no linked JRE in $java_dir" >&2; exit 1; }
  command -v ldd >/dev/null || { echo "image-root.sh: ldd not found (a glibc Linux is needed to build the image; or -Dweft.image.skip=true)" >&2; exit 1; }
  libs="$(find "$java_dir" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) -print0 \
    | xargs -0 -n1 ldd 2>/dev/null \
    | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | grep -v "^$java_dir/" | sort -u || true)"
  [ -n "$libs" ] || { echo "image-root.sh: ldd found no libraries for the JRE (not glibc?)" >&2; exit 1; }
  for lib in $libs; do
    # The path the loader looks the library up by, and the file it is (often a symlink).
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  echo "image-root.sh: $(echo "$libs" | wc -l) C libraries from this machine: $(echo $libs)"
  ;;
*)
  echo "usage: image-root.sh prepare|libs TARGET" >&2
  exit 2
  ;;
esac
