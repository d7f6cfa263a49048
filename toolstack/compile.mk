# Translation of a checked farm: xl domain configs and libxl structures
# from one function, the JSON graph, and the check/compile commands.
noinst_LIBRARIES += toolstack/libtranslate.a
toolstack_libtranslate_a_SOURCES = \
	toolstack/translate.h toolstack/translate.c \
	toolstack/translate-libxl.c \
	toolstack/graph-json.c \
	toolstack/cmd-check.c toolstack/cmd-compile.c
toolstack_libtranslate_a_CFLAGS = $(AM_CFLAGS) $(XENLIGHT_CFLAGS) $(YAJL_CFLAGS)
