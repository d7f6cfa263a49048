# Tests: unit (cmocka), bad farms, golden files, system (local backend).
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/system/local.mk
include $(srcdir)/tests/fuzz/local.mk
