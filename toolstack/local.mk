# The dom0 side, one fragment per folder (HACKING.md has the map):
# the farm language and the translation are libraries; the `baltic` CLI
# and the `balticd` daemon are programs.
include $(srcdir)/toolstack/farm/local.mk
include $(srcdir)/toolstack/compile/local.mk
include $(srcdir)/toolstack/cluster/local.mk

BALTIC_TOOLSTACK_LIBS = toolstack/libtranslate.a toolstack/libfarm.a \
	libbaltic/libbaltic.a
BALTIC_UTIL_SOURCES = toolstack/util/util.h toolstack/util/util.c

include $(srcdir)/toolstack/cli/local.mk
include $(srcdir)/toolstack/daemon/local.mk
