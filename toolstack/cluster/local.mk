# The cluster layer: etcd's v3 JSON gateway from balticd's loop
# (etcd.c: requests and failover; etcd-watch.c: watch streams;
# etcd-json.c: the gateway's JSON, checked), record.c: the hosts' and
# farms' records read (untrusted) and written, and place.c: which host
# runs each instance, a pure function.  A library: balticd,
# tests/cluster/etcd-test and tests/unit/test-place link it.
noinst_LIBRARIES += toolstack/libcluster.a
toolstack_libcluster_a_SOURCES = toolstack/cluster/etcd.h \
	toolstack/cluster/etcd-int.h toolstack/cluster/etcd.c \
	toolstack/cluster/etcd-watch.c toolstack/cluster/etcd-json.c \
	toolstack/cluster/record.h toolstack/cluster/record.c \
	toolstack/cluster/place.h toolstack/cluster/place.c
toolstack_libcluster_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(YAJL_CFLAGS)
