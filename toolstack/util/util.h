/*
 * util.h: small helpers the dom0 programs share.
 */
#ifndef BALTIC_UTIL_H
#define BALTIC_UTIL_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

/* Set *err_r to a malloc'd message (NULL if out of memory); return -1. */
int		 errf(char **err_r, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* vasprintf for messages: the text (caller frees) and its length, or
 * NULL and 0 if out of memory. */
char		*vstrf(size_t *len_r, const char *fmt, va_list ap)
		    __attribute__((format(printf, 2, 0)));

/* Fields of a parsed JSON object; NULL / dflt when absent or not so. */
const char	*json_str(yajl_val, const char *key);
long long	 json_int(yajl_val, const char *key, long long dflt);
int		 json_true(yajl_val, const char *key);

/* write(2) all of buf to a blocking fd (EINTR retried): 0, or -1. */
int		 write_all(int fd, const void *buf, size_t len);

/*
 * A non-blocking listening Unix stream socket at path, mode 0600 (any
 * old socket there is replaced).  The fd, or -1 with *err_r set.
 */
int		 unix_listen(const char *path, int backlog, char **err_r);

/*
 * fork(2), with every signal handled by default and none blocked in the
 * child from its first instruction: a signal meant for a child that has
 * not exec'd yet (a destroy) must not run the parent's handlers there
 * (libevent's would tell the parent's loop it got the signal).
 */
pid_t		 fork_child(void);

/* FNV-1a, 64 bits: a request in the keeper's record, a farm's source in
 * its state, a partition's ping slice. */
uint64_t	 fnv1a64(const void *, size_t);

/* Bytes a guest or a peer sent, made fit for a log line or an error
 * message: NUL-terminated, whatever is not printable ASCII a '?'. */
void		 printable(char *dst, size_t dstlen, const uint8_t *untrusted,
		    size_t len);

#endif /* BALTIC_UTIL_H */
