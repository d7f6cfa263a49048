# examples: the stand-in bank for the EOP demo's remote payment.
noinst_PROGRAMS += examples/bank/baltic-bank
examples_bank_baltic_bank_SOURCES = examples/bank/bank.c
examples_bank_baltic_bank_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
examples_bank_baltic_bank_LDADD = $(LIBEVENT_LIBS)
