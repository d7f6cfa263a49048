# Shared helpers for images/fetch-debs, images/mkhost and images/mkrole.
# Sourced, not run.  POSIX sh plus the host tools named in need_tools.

IMAGES_DIR=${IMAGES_DIR:-$(cd "$(dirname "$0")" && pwd)}
DEB_CACHE=${BALTIC_DEB_CACHE:-/var/cache/baltic/debs}
# Unpacked debs and the extracted kernel, shared by mkhost and mkrole.
WORK=${BALTIC_IMG_WORK:-/var/cache/baltic/work}
KVER_FILE=$DEB_CACHE/KERNEL-VERSION

say() { echo "${0##*/}: $*" >&2; }
die() { say "error: $*"; exit 1; }

# need_tools TOOL... : fail with one clear line naming every missing tool.
need_tools() {
	_missing=
	for _t in "$@"; do
		command -v "$_t" >/dev/null 2>&1 || _missing="$_missing $_t"
	done
	[ -z "$_missing" ] ||
		die "missing host tools:$_missing (Debian: apt-get install qemu-system-x86 cpio xz-utils file binutils gcc)"
}

# newer_than STAMP PATH... : true when STAMP is missing or any PATH (file or
# tree) has something modified after it.
newer_than() {
	_stamp=$1; shift
	[ -e "$_stamp" ] || return 0
	for _p in "$@"; do
		[ -e "$_p" ] || return 0
		[ -n "$(find "$_p" -newer "$_stamp" -print 2>/dev/null | head -n 1)" ] && return 0
	done
	return 1
}

# lock_cache: serialise builders sharing the cache (held until exit).
lock_cache() {
	command -v flock > /dev/null 2>&1 || return 0
	mkdir -p "$(dirname "$WORK")"
	exec 9> "$(dirname "$WORK")/.lock"
	flock 9
}

# unpack_debs: dpkg -x every .deb of the cache into $WORK/root, once per
# change of the cache.  Prints nothing; sets KVER.
unpack_debs() {
	lock_cache
	[ -s "$KVER_FILE" ] || die "no $KVER_FILE: run images/fetch-debs first"
	KVER=$(cat "$KVER_FILE")
	mkdir -p "$WORK"
	_debs=$(cd "$DEB_CACHE" && ls ./*.deb)
	if [ "$(cat "$WORK/root.stamp" 2>/dev/null)" != "$_debs" ] ||
	   newer_than "$WORK/root.stamp" "$DEB_CACHE"/*.deb; then
		say "unpacking debs from $DEB_CACHE"
		rm -rf "$WORK/root" "$WORK/root.stamp"
		mkdir -p "$WORK/root"
		for _d in "$DEB_CACHE"/*.deb; do
			dpkg-deb -x "$_d" "$WORK/root" || die "dpkg-deb -x $_d"
		done
		echo "$_debs" > "$WORK/root.stamp"
	fi
	ROOT=$WORK/root
	KERNEL_BZ=$ROOT/boot/vmlinuz-$KVER
	MODDIR=$ROOT/lib/modules/$KVER
	[ -d "$MODDIR" ] || die "kernel $KVER not unpacked (stale cache? rerun fetch-debs)"
}

# host_root: the running host's own kernel, modules and busybox instead
# of the cache's packages (baltic-mkimage, on a dom0): $BALTIC_IMG_KERNEL
# (default /boot/vmlinuz-`uname -r`) and $BALTIC_IMG_MODULES (default
# /lib/modules/VERSION).  $WORK starts again when one of them changed.
host_root() {
	ROOT=/
	KERNEL_BZ=${BALTIC_IMG_KERNEL:-/boot/vmlinuz-$(uname -r)}
	[ -f "$KERNEL_BZ" ] || die "no kernel $KERNEL_BZ (dom0's own is /boot/vmlinuz-$(uname -r); -k KERNEL names another)"
	KVER=${KERNEL_BZ##*/vmlinuz-}
	MODDIR=${BALTIC_IMG_MODULES:-/lib/modules/$KVER}
	[ -d "$MODDIR/kernel" ] || die "no kernel modules in $MODDIR (-m DIR names them)"
	[ -x /bin/busybox ] || die "no /bin/busybox (Debian: apt-get install busybox-static)"
	mkdir -p "$WORK"
	_id="$KERNEL_BZ $(stat -c %Y "$KERNEL_BZ") $MODDIR $(stat -c %Y /bin/busybox)"
	if [ "$(cat "$WORK/root.stamp" 2>/dev/null)" != "$_id" ]; then
		rm -rf "$WORK/vmlinux" "$WORK/modules.list" "$WORK/busybox.links"
		echo "$_id" > "$WORK/root.stamp"
	fi
}

# kernel_vmlinux: the ELF vmlinux of the cached kernel, extracted once.
kernel_vmlinux() {
	_bz=$KERNEL_BZ
	# Unpacked files keep their package mtimes: compare with the unpack.
	if newer_than "$WORK/vmlinux" "$WORK/root.stamp"; then
		say "extracting vmlinux from $_bz"
		"$IMAGES_DIR/extract-vmlinux" "$_bz" > "$WORK/vmlinux.tmp" ||
			die "extract-vmlinux failed"
		mv "$WORK/vmlinux.tmp" "$WORK/vmlinux"
	fi
	VMLINUX=$WORK/vmlinux
}

# Library search order: the unpacked Debian packages first (their versions
# match the hypervisor tools), then the host (for the project's binaries).
LIBDIRS_REL="lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib usr/lib"

find_lib() {
	for _d in $LIBDIRS_REL; do
		[ -e "$ROOT/$_d/$1" ] && { echo "$ROOT/$_d/$1"; return 0; }
	done
	for _d in $LIBDIRS_REL; do
		[ -e "/$_d/$1" ] && { echo "/$_d/$1"; return 0; }
	done
	return 1
}

is_elf() {
	[ -f "$1" ] && [ "$(dd if="$1" bs=1 skip=1 count=3 2>/dev/null)" = ELF ]
}

needed_of() {
	objdump -p "$1" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }'
}

# copy_libs STAGE FILE... : copy the shared libraries FILE needs, and the
# ones those need, into STAGE/lib/x86_64-linux-gnu.  Fails naming any
# soname found neither in the unpacked packages nor on the host.
copy_libs() {
	_stage=$1; shift
	_dst=$_stage/lib/x86_64-linux-gnu
	mkdir -p "$_dst"
	_todo=
	for _f in "$@"; do
		is_elf "$_f" && _todo="$_todo $(needed_of "$_f")"
	done
	while [ -n "$(echo $_todo)" ]; do
		_next=
		for _so in $_todo; do
			[ -e "$_dst/$_so" ] && continue
			_src=$(find_lib "$_so") || die "shared library $_so not found (add its package to fetch-debs)"
			cp -L "$_src" "$_dst/$_so"
			_next="$_next $(needed_of "$_dst/$_so")"
		done
		_todo=$_next
	done
}

# modules_closure NAME... : module file paths (relative to the modules dir)
# for NAME and everything they depend on, dependencies first.  Reads the
# depends= field of each .ko's .modinfo, so no depmod is needed.
mod_path() {
	[ -s "$WORK/modules.list" ] && [ "$WORK/modules.list" -nt "$WORK/root.stamp" ] ||
		find "$MODDIR/kernel" -name '*.ko*' > "$WORK/modules.list"
	# Module names treat - and _ alike.
	_re=$(echo "$1" | sed 's/[-_]/[-_]/g')
	grep -E "/$_re\.ko(\.xz)?\$" "$WORK/modules.list" | head -n 1
}

mod_deps() {
	tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

modules_closure() {
	_seen=" "
	_out=
	_visit() {
		case "$_seen" in *" $1 "*) return 0 ;; esac
		_seen="$_seen$1 "
		_p=$(mod_path "$1")
		[ -n "$_p" ] || die "kernel module $1 not found in $KVER"
		for _dep in $(mod_deps "$_p"); do _visit "$_dep"; done
		_p=$(mod_path "$1")
		_out="$_out $_p"
	}
	for _m in "$@"; do _visit "$_m"; done
	echo $_out
}

# copy_modules STAGE NAME... : copy NAME and dependencies into
# STAGE/lib/modules and write STAGE/lib/modules/load.list in load order.
copy_modules() {
	_stage=$1; shift
	mkdir -p "$_stage/lib/modules"
	: > "$_stage/lib/modules/load.list"
	for _p in $(modules_closure "$@"); do
		_b=${_p##*/}
		case "$_b" in *.xz) xz -dc "$_p" > "$_stage/lib/modules/${_b%.xz}"; _b=${_b%.xz} ;;
		*) cp "$_p" "$_stage/lib/modules/$_b" ;; esac
		echo "$_b" >> "$_stage/lib/modules/load.list"
	done
}

# base_stage STAGE: busybox, its applet links, the loader, the usual dirs.
base_stage() {
	_s=$1
	mkdir -p "$_s/bin" "$_s/sbin" "$_s/usr/bin" "$_s/usr/sbin" "$_s/etc" \
		"$_s/proc" "$_s/sys" "$_s/dev" "$_s/run" "$_s/tmp" "$_s/var" \
		"$_s/lib/x86_64-linux-gnu" "$_s/lib64" "$_s/usr/lib" "$_s/root"
	# The applet links are made once per unpacked tree, then copied.
	_bb=$WORK/busybox.links
	if [ ! -d "$_bb" ] || [ ! "$_bb" -nt "$WORK/root.stamp" ] || [ -L "$_bb/bin/busybox" ]; then
		rm -rf "$_bb" "$_bb.tmp"
		mkdir -p "$_bb.tmp/bin" "$_bb.tmp/sbin" "$_bb.tmp/usr/bin" "$_bb.tmp/usr/sbin"
		for _a in $("$ROOT/bin/busybox" --list-full 2>/dev/null); do
			[ -L "$_bb.tmp/$_a" ] || ln -s /bin/busybox "$_bb.tmp/$_a"
		done
		rm -f "$_bb.tmp/bin/sh" "$_bb.tmp/bin/busybox"
		ln -s busybox "$_bb.tmp/bin/sh"
		mv "$_bb.tmp" "$_bb"
	fi
	cp -a "$_bb/." "$_s/"
	cp "$ROOT/bin/busybox" "$_s/bin/busybox"
	ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$_s/lib64/ld-linux-x86-64.so.2"
	ln -sfn ../../lib/x86_64-linux-gnu "$_s/usr/lib/x86_64-linux-gnu"
	ln -sfn ../run "$_s/var/run"
	cp -L "$(find_lib ld-linux-x86-64.so.2)" "$_s/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$_s/etc/passwd"
	echo 'root:x:0:' > "$_s/etc/group"
}

# copy_extra STAGE SPEC: SPEC is SRC or SRC=DEST.  A file without DEST goes
# to /usr/local/bin, a directory to /opt/<name>.  ELF files get their libs.
copy_extra() {
	_stage=$1
	case "$2" in
	*=*) _src=${2%%=*}; _dest=${2#*=} ;;
	*) _src=$2; if [ -d "$_src" ]; then _dest=/opt/${_src##*/}; else _dest=/usr/local/bin/${_src##*/}; fi ;;
	esac
	[ -e "$_src" ] || die "extra $_src does not exist"
	mkdir -p "$_stage$(dirname "$_dest")"
	if [ -d "$_src" ]; then
		mkdir -p "$_stage$_dest"
		cp -RL "$_src/." "$_stage$_dest/"
	else
		cp -L "$_src" "$_stage$_dest"
	fi
	# shellcheck disable=SC2046
	copy_libs "$_stage" $(find "$_stage$_dest" -type f)
}

# mk_cpio STAGE OUTFILE: uncompressed newc archive, owned by root.
mk_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2.tmp" ||
		die "cpio failed"
	mv "$2.tmp" "$2"
}
