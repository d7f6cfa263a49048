/*
 * client.h: how the `baltic` commands talk to balticd over its control
 * socket (the protocol is ctl.h).
 */
#ifndef BALTIC_CLIENT_H
#define BALTIC_CLIENT_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A request for cmd, to which the caller adds string fields. */
yajl_gen	 client_req(const char *cmd);
void		 client_kv(yajl_gen, const char *key, const char *val);
void		 client_ki(yajl_gen, const char *key, long long val);

/*
 * Send the request (freeing g) and wait for the final answer.  Progress
 * lines go to stderr unless quiet.  Returns a BALTIC_EXIT_* code; on
 * failure the daemon's message is printed to stderr.  With --json
 * (baltic_json) the final answer, its progress lines added as an array
 * under "progress", goes to stdout instead of the message.  *resp_r, if not
 * NULL, gets the final answer (caller frees with yajl_tree_free).
 */
int		 client_run(yajl_gen g, int quiet, yajl_val *resp_r);

/* Re-emit a parsed JSON value into g. */
void		 client_gen_val(yajl_gen g, yajl_val v);

/*
 * A failure found by the CLI itself (or balticd out of reach): the
 * message to stderr, and with --json the answer balticd would have
 * given, {ok: false, exit: rc, error: message}, to stdout.  Returns rc.
 */
int		 client_fail(int rc, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* The path of balticd's control socket. */
const char	*client_socket_path(void);


#endif /* BALTIC_CLIENT_H */
