/* util.c: see util.h. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

int
errf(char **err_r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(err_r, fmt, ap) == -1)
		*err_r = NULL;
	va_end(ap);
	return -1;
}

char *
vstrf(size_t *len_r, const char *fmt, va_list ap)
{
	char	*msg;
	int	 len;

	if ((len = vasprintf(&msg, fmt, ap)) < 0) {
		*len_r = 0;
		return NULL;
	}
	*len_r = (size_t)len;
	return msg;
}

static yajl_val
json_get(yajl_val v, const char *key, yajl_type t)
{
	const char	*path[] = { key, NULL };

	return v != NULL ? yajl_tree_get(v, path, t) : NULL;
}

const char *
json_str(yajl_val v, const char *key)
{
	yajl_val	s = json_get(v, key, yajl_t_string);

	return s != NULL ? s->u.string : NULL;
}

long long
json_int(yajl_val v, const char *key, long long dflt)
{
	yajl_val	n = json_get(v, key, yajl_t_number);

	return n != NULL && YAJL_IS_INTEGER(n) ? YAJL_GET_INTEGER(n) : dflt;
}

int
json_true(yajl_val v, const char *key)
{
	yajl_val	b = json_get(v, key, yajl_t_any);

	return b != NULL && YAJL_IS_TRUE(b);
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char	*s = buf;
	ssize_t		 r;

	while (len > 0) {
		if ((r = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += r;
		len -= (size_t)r;
	}
	return 0;
}

int
unix_listen(const char *path, int backlog, char **err_r)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd, probe, r;
	bool			busy;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path) >=
	    sizeof sun.sun_path)
		return errf(err_r, "socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return errf(err_r, "socket: %s", strerror(errno));
	/* A socket something still listens on is not ours to take. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) != -1) {
		r = connect(probe, (struct sockaddr *)&sun, sizeof sun);
		busy = r == 0 || errno == EAGAIN || errno == EINPROGRESS;
		close(probe);
		if (busy) {
			close(fd);
			return errf(err_r, "%s: a running process listens "
			    "there", path);
		}
	}
	unlink(path);
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, backlog) == -1) {
		umask(old);
		close(fd);
		return errf(err_r, "listen on %s: %s", path, strerror(errno));
	}
	umask(old);
	return fd;
}

pid_t
fork_child(void)
{
	sigset_t	all, old;
	pid_t		pid;
	int		sig;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

uint64_t
fnv1a64(const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0xcbf29ce484222325ULL;

	while (len-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

void
printable(char *dst, size_t dstlen, const uint8_t *untrusted, size_t len)
{
	size_t	i, o = 0;

	for (i = 0; i < len && o + 1 < dstlen; i++) {
		uint8_t c = untrusted[i];

		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
}
