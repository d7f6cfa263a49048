# The dom0 side: the `baltic` CLI and the `balticd` daemon.
include $(srcdir)/toolstack/compile.mk

BALTIC_TOOLSTACK_LIBS = toolstack/libtranslate.a toolstack/libfarm.a \
	libbaltic/libbaltic.a

bin_PROGRAMS += toolstack/baltic
toolstack_baltic_SOURCES = toolstack/baltic.h toolstack/baltic.c \
	toolstack/client.h toolstack/client.c toolstack/util.h toolstack/util.c \
	toolstack/cmd-create.c toolstack/cmd-list.c toolstack/cmd-call.c \
	toolstack/cmd-set.c toolstack/cmd-destroy.c toolstack/cmd-cut.c \
	toolstack/cmd-paste.c toolstack/cmd-partition.c
toolstack_baltic_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS)
toolstack_baltic_LDADD = $(BALTIC_TOOLSTACK_LIBS) $(XENLIGHT_LIBS) \
	$(YAJL_LIBS) $(LIBEVENT_LIBS)

sbin_PROGRAMS += toolstack/balticd
toolstack_balticd_SOURCES = toolstack/balticd.c toolstack/daemon.h \
	toolstack/util.h toolstack/util.c \
	toolstack/control.c toolstack/router.c toolstack/partition.c \
	toolstack/farmrt.c toolstack/idmap.h toolstack/idmap.c \
	toolstack/keep.h toolstack/keep-proto.c toolstack/keep.c \
	toolstack/keeper.c toolstack/adopt.c \
	toolstack/http.c toolstack/export.c toolstack/http-req.h \
	toolstack/http-req.c toolstack/backend.h toolstack/backend-local.c \
	toolstack/store-dir.c toolstack/backend-xen.c toolstack/store-xs.c
toolstack_balticd_CPPFLAGS = $(AM_CPPFLAGS) -DBALTIC_HAVE_XEN_BACKEND
toolstack_balticd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(YAJL_CFLAGS) \
	$(XENLIGHT_CFLAGS) $(XENSTORE_CFLAGS) $(XENVCHAN_CFLAGS)
toolstack_balticd_LDADD = $(BALTIC_TOOLSTACK_LIBS) $(XENLIGHT_LIBS) \
	$(XENSTORE_LIBS) $(XENVCHAN_LIBS) $(YAJL_LIBS) $(LIBEVENT_LIBS)
