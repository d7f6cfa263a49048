/* log.c: see log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char	*log_name = "baltic";
static int		 log_level;
static int		 log_syslog;

void
log_init(const char *progname, int verbose)
{
	log_name = progname;
	log_level = verbose;
}

void
log_to_syslog(void)
{
	openlog(log_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

int
log_verbose(void)
{
	return log_level;
}

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	int	saved = errno;
	char	buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (log_syslog) {
		if (with_errno)
			syslog(pri, "%s: %s", buf, strerror(saved));
		else
			syslog(pri, "%s", buf);
	} else if (with_errno)
		fprintf(stderr, "%s: %s: %s\n", log_name, buf, strerror(saved));
	else
		fprintf(stderr, "%s: %s\n", log_name, buf);
	errno = saved;
}

#define LOGFN(fn, pri, with_errno, guard)			\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
	if (!(guard))						\
		return;						\
	va_start(ap, fmt);					\
	vlog(pri, fmt, ap, with_errno);				\
	va_end(ap);						\
}
LOGFN(log_warn, LOG_WARNING, 1, 1)
LOGFN(log_warnx, LOG_WARNING, 0, 1)
LOGFN(log_notice, LOG_NOTICE, 0, 1)
LOGFN(log_info, LOG_INFO, 0, log_level >= 1)
LOGFN(log_debug, LOG_DEBUG, 0, log_level >= 2)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
