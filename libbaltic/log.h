/*
 * log.h: logging for the daemon, the agent and the tools, after
 * OpenBSD's log.c.  Messages go to stderr with the program's name, or to
 * syslog once log_to_syslog() is called.  log_warn appends strerror(errno).
 */
#ifndef BALTIC_LOG_H
#define BALTIC_LOG_H

#include <stdarg.h>

#define LOGF __attribute__((format(printf, 1, 2)))

void	log_init(const char *progname, int verbose);
void	log_to_syslog(void);
int	log_verbose(void);
void	log_warn(const char *, ...) LOGF;
void	log_warnx(const char *, ...) LOGF;
void	log_notice(const char *, ...) LOGF;	/* always shown */
void	log_info(const char *, ...) LOGF;
void	log_debug(const char *, ...) LOGF;
void	fatal(const char *, ...) LOGF __attribute__((noreturn));
void	fatalx(const char *, ...) LOGF __attribute__((noreturn));

#undef LOGF
#endif /* BALTIC_LOG_H */
