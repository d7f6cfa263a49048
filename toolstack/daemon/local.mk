# balticd: the daemon (daemon/), its running graph and router
# (daemon/core/), its edges to partitions and HTTP (daemon/edge/), the
# descriptor keeper (keep/) and the backends with their state stores
# (backend/).
sbin_PROGRAMS += toolstack/balticd
toolstack_balticd_SOURCES = toolstack/ctl.h \
	toolstack/daemon/daemon.h toolstack/daemon/balticd.c \
	toolstack/daemon/control.c toolstack/daemon/adopt.c \
	toolstack/daemon/control.h toolstack/daemon/control-farm.c toolstack/daemon/apply.c \
	toolstack/daemon/apply.h toolstack/daemon/apply-plan.c \
	toolstack/daemon/elastic.c \
	toolstack/daemon/control-part.c toolstack/daemon/control-req.c \
	toolstack/daemon/state.c toolstack/daemon/lifecycle.c \
	toolstack/daemon/journal.c toolstack/daemon/here.c \
	toolstack/daemon/cluster.h toolstack/daemon/cluster-int.h \
	toolstack/daemon/cluster.c toolstack/daemon/cluster-farm.c \
	toolstack/daemon/cluster-move.c toolstack/daemon/cluster-image.c \
	toolstack/daemon/cluster-change.c \
	toolstack/daemon/core/router.c toolstack/daemon/core/req-arg.c \
	toolstack/daemon/core/hedge.c toolstack/daemon/core/graph.c \
	toolstack/daemon/edge/partition.c toolstack/daemon/edge/remote.c \
	toolstack/daemon/edge/export-conn.h toolstack/daemon/edge/export.c \
	toolstack/daemon/edge/export-conn.c toolstack/daemon/edge/http-req.h \
	toolstack/daemon/edge/export-tls.h toolstack/daemon/edge/export-tls.c \
	toolstack/daemon/edge/http-req.c \
	toolstack/daemon/edge/peer.h toolstack/daemon/edge/peer.c \
	toolstack/daemon/edge/peer-link.c \
	toolstack/daemon/edge/chan-call.h toolstack/daemon/edge/chan-call.c \
	toolstack/daemon/obs/obs.h toolstack/daemon/obs/obs.c \
	toolstack/daemon/obs/obs-walk.h toolstack/daemon/obs/obs-graph.c \
	toolstack/daemon/obs/obs-json.c toolstack/daemon/obs/obs-prom.h \
	toolstack/daemon/obs/obs-prom.c toolstack/daemon/obs/obs-http.c \
	toolstack/keep/keep.h toolstack/keep/keep-proto.c \
	toolstack/keep/keep.c toolstack/keep/keeper.c \
	toolstack/keep/keep-fdstore.c \
	toolstack/backend/backend.h toolstack/backend/backend.c \
	toolstack/backend/local.c \
	toolstack/backend/local-jail.h toolstack/backend/local-jail.c \
	toolstack/backend/store-dir.c toolstack/backend/store-xs.c \
	toolstack/backend/xen-state.h toolstack/backend/xen.c \
	toolstack/backend/xen-state.c toolstack/backend/xen-osevent.c \
	toolstack/backend/xen-chan.c toolstack/backend/xen-domain.c \
	toolstack/backend/xen-cutpaste.c toolstack/backend/xen-xs-txn.h \
	toolstack/backend/xen-xs-txn.c \
	toolstack/util/idmap.h toolstack/util/idmap.c $(BALTIC_UTIL_SOURCES)
toolstack_balticd_CPPFLAGS = $(AM_CPPFLAGS) -DBALTIC_HAVE_XEN_BACKEND \
	$(SYSTEMD_CPPFLAGS)
toolstack_balticd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(YAJL_CFLAGS) \
	$(XENLIGHT_CFLAGS) $(XENSTORE_CFLAGS) $(XENVCHAN_CFLAGS) \
	$(LIBSYSTEMD_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
toolstack_balticd_LDADD = toolstack/libcluster.a $(BALTIC_TOOLSTACK_LIBS) \
	$(XENLIGHT_LIBS) \
	$(XENSTORE_LIBS) $(XENVCHAN_LIBS) $(YAJL_LIBS) $(LIBEVENT_LIBS) \
	$(LIBSYSTEMD_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS)

# Its manual page.
dist_man_MANS += man/balticd.8
