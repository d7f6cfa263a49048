# The cluster tests (make check-cluster): a three-member etcd on
# 127.0.1.1-3 inside a network namespace of their own (tests/cluster/
# bed.sh), and the etcd client driven against it (etcd-test.c).  Not in
# make check: they need etcd-server (scripts/run cluster installs it).
check_PROGRAMS += tests/cluster/etcd-test
tests_cluster_etcd_test_SOURCES = tests/cluster/etcd-test.c \
	tests/cluster/etcd-test.h tests/cluster/etcd-test-garbage.c \
	toolstack/util/util.c
tests_cluster_etcd_test_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(YAJL_CFLAGS)
tests_cluster_etcd_test_LDADD = toolstack/libcluster.a \
	libbaltic/libbaltic.a $(YAJL_LIBS) $(LIBEVENT_LIBS)

CLUSTER_TESTS = tests/cluster/bed.sh tests/cluster/etcd.sh tests/cluster/alone.sh \
	tests/cluster/peer.sh tests/cluster/hosts.sh
EXTRA_DIST += $(CLUSTER_TESTS)

# Each test on its own, with its time; every one runs even if one fails.
check-cluster: all tests/cluster/etcd-test$(EXEEXT)
	@fail=0; for t in $(CLUSTER_TESTS); do \
	  start=$$(date +%s); \
	  top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  bash $(srcdir)/$$t || fail=1; \
	  echo "== $$t: $$(( $$(date +%s) - start )) s"; \
	done; exit $$fail
.PHONY: check-cluster
