# The farm language: lexer, parser, checker (toolstack/farm-*.c).
noinst_LIBRARIES += toolstack/libfarm.a
toolstack_libfarm_a_SOURCES = \
	toolstack/farm.h \
	toolstack/farm-lex.h toolstack/farm-lex.c \
	toolstack/farm-parse.c \
	toolstack/farm-check.c \
	toolstack/farm-diag.c \
	toolstack/farm-value.c \
	toolstack/farm-tree.c

dist_man_MANS += man/baltic.farm.5
