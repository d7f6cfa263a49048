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
 * failure the daemon's message is printed to stderr.  *resp_r, if not
 * NULL, gets the final answer (caller frees with yajl_tree_free).
 */
int		 client_run(yajl_gen g, int quiet, yajl_val *resp_r);

/* The path of balticd's control socket. */
const char	*client_socket_path(void);


#endif /* BALTIC_CLIENT_H */
