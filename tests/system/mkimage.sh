#!/bin/bash
# baltic-mkimage builds a role's image where `baltic create` looks for it
# (ROLE_DIR/build/vmlinux and initrd.cpio): from a Debian kernel, its
# modules and the host's busybox; the initrd holds the role, the agent,
# baltic-call, the Xen modules and the init.  The kernel is the dom0's own
# if /boot has it, else the one images/fetch-debs unpacked; skipped (77)
# without either, or without the tools (busybox-static, cpio, binutils).
. "$(dirname "$0")/lib.sh"

MKIMAGE=$top_builddir/images/baltic-mkimage
cache=${BALTIC_IMG_WORK_CACHE:-/var/cache/baltic/work/root}
kernel=/boot/vmlinuz-$(uname -r) modules=/lib/modules/$(uname -r)
if [ ! -f "$kernel" ]; then
	kernel=$(ls "$cache"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	modules=$cache/lib/modules/${kernel##*/vmlinuz-}
fi
for t in busybox cpio objdump xz; do
	command -v $t >/dev/null || { echo "# no $t: skipped"; exit 77; }
done
[ -n "$kernel" ] && [ -f "$kernel" ] && [ -d "$modules/kernel" ] ||
	{ echo "# no Debian kernel with its modules: skipped"; exit 77; }

cp -r "$here/roles/echo" "$T/echo"
export BALTIC_IMAGES_DIR=$top_srcdir/images BALTIC_IMG_WORK=$T/work
out=$("$MKIMAGE" -k "$kernel" -m "$modules" -a "$BALTIC_AGENT" "$T/echo" 2>&1); rc=$?
expect_eq "baltic-mkimage: exit 0" 0 $rc
[ $rc -eq 0 ] || echo "$out" | tail -n 5
check "build/vmlinux is an ELF kernel" \
    test "$(head -c 4 "$T/echo/build/vmlinux" | tail -c 3)" = ELF
list=$(cpio -it < "$T/echo/build/initrd.cpio" 2>/dev/null)
for f in init bin/busybox usr/bin/baltic-agent usr/bin/baltic-call \
    role/services/IEcho.Echo lib/modules/load.list; do
	expect_match "the initrd holds $f" "^(\./)?$f\$" "$list"
done
expect_match "... with the Xen modules" "xen-gntalloc.ko" "$list"
expect_eq "... and not the build directory itself" "" \
    "$(grep '^role/build' <<< "$list")"

# The farm finds it without a path.
cat > "$T/echo.farm" <<EOT
interface IEcho { Echo(s: string) -> string }
role Echo { image "echo"; exports IEcho }
farm e { a = vm Echo; export a.IEcho }
EOT
expect_match "baltic compile names the image" \
    "kernel = \"$T/echo/build/vmlinux\"" "$("$BALTIC" compile "$T/echo.farm")"

out=$("$MKIMAGE" -k /nonexistent -a "$BALTIC_AGENT" "$T/echo" 2>&1); rc=$?
expect_eq "no such kernel: exit 1" 1 $rc
expect_match "... saying which" "no kernel /nonexistent" "$out"
"$MKIMAGE" 2>/dev/null; rc=$?
expect_eq "no role: exit 2" 2 $rc
"$MKIMAGE" -h >/dev/null; rc=$?
expect_eq "-h: exit 0" 0 $rc
finish
