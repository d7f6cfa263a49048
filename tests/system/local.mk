# System tests: the real binaries, real processes and sockets, on the
# local backend.  Each script prints "N passed, N failed".
SYSTEM_TESTS = tests/system/eop-configs.sh tests/system/or-policies.sh \
	tests/system/par-cancel.sh tests/system/hedge.sh \
	tests/system/ref-rewire.sh \
	tests/system/errors.sh tests/system/cut-paste.sh tests/system/lifecycle.sh \
	tests/system/restart.sh tests/system/or-failover.sh tests/system/cli.sh \
	tests/system/secure.sh tests/system/demo.sh tests/system/apply.sh \
	tests/system/replace.sh tests/system/elastic.sh tests/system/metrics.sh \
	tests/system/prometheus.sh tests/system/isolation.sh \
	tests/faults/run.sh
TESTS += $(SYSTEM_TESTS)
EXTRA_DIST += $(SYSTEM_TESTS) tests/faults/faults.farm \
	tests/system/lib.sh tests/system/roles tests/system/farms
include $(srcdir)/tests/system/hostile.mk

# The fault script measures recovery: not while the hostile flood runs.
tests/faults/run.log: tests/system/hostile.log
