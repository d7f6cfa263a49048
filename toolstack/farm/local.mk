# The farm language: lexer, parser, checker (toolstack/farm/).
noinst_LIBRARIES += toolstack/libfarm.a
toolstack_libfarm_a_SOURCES = \
	toolstack/farm/farm.h \
	toolstack/farm/farm-lex.h toolstack/farm/farm-lex.c \
	toolstack/farm/farm-mem.c \
	toolstack/farm/farm-parse.c toolstack/farm/farm-parse-decl.c \
	toolstack/farm/farm-parse-expr.c \
	toolstack/farm/farm-check.c toolstack/farm/farm-resolve.c \
	toolstack/farm/farm-wire.c \
	toolstack/farm/farm-diag.c \
	toolstack/farm/farm-value.c \
	toolstack/farm/farm-tree.c

dist_man_MANS += man/baltic.farm.5
