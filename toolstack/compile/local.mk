# Translation of a checked farm: xl domain configs and libxl structures
# from one function, and the JSON graph.
noinst_LIBRARIES += toolstack/libtranslate.a
toolstack_libtranslate_a_SOURCES = \
	toolstack/compile/translate.h toolstack/compile/translate.c \
	toolstack/compile/translate-libxl.c \
	toolstack/compile/graph-json.c
toolstack_libtranslate_a_CFLAGS = $(AM_CFLAGS) $(XENLIGHT_CFLAGS) $(YAJL_CFLAGS)
