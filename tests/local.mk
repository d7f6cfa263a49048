# Tests: unit (cmocka), bad farms, golden files, system (local backend),
# fuzz replay, the layering rules.
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/system/local.mk
include $(srcdir)/tests/fuzz/local.mk
include $(srcdir)/tests/cluster/local.mk

# The shape of the tree (HACKING.md, "The nevers"): read from the
# #include lines and the sizes of the sources.
TESTS += tests/layering.sh
EXTRA_DIST += tests/layering.sh

# One exit-code table in ctl.h, README.md and baltic(1).
TESTS += tests/exit-codes.sh
EXTRA_DIST += tests/exit-codes.sh

# The manual pages render without a groff warning.
TESTS += tests/man.sh
EXTRA_DIST += tests/man.sh
EXTRA_DIST += tests/netns.sh
