/*
 * export-tls.h: TLS on an export's connections, OpenSSL straight on the
 * connection's socket, under the code that reads requests and writes
 * answers (export.c, export-conn.c).  What changes for a TLS connection
 * (export.c's opening comment says why): its requests are read off the
 * socket as they come, since bytes that must be decrypted cannot be read
 * in place, and the keeper holds its export's listening socket but not
 * the connection, nor a record of its calls: a TLS session cannot change
 * hands, so a balticd that stops drops its TLS connections, and their
 * clients connect again.
 */
#ifndef BALTIC_EXPORT_TLS_H
#define BALTIC_EXPORT_TLS_H

#include <sys/types.h>

#include <stddef.h>

struct ssl_ctx_st;
struct ssl_st;

#define EXPORT_HANDSHAKE_MS	10000	/* for a client's TLS handshake */

/*
 * A server context: the certificate chain and its key (PEM files), and,
 * if ca is not NULL, client certificates required and checked against
 * the CAs in that PEM file.  NULL with a message in *err_r (caller
 * frees) if a file cannot be read or does not fit.
 */
struct ssl_ctx_st	*tls_ctx_new(const char *cert, const char *key,
			    const char *ca, char **err_r);
void			 tls_ctx_free(struct ssl_ctx_st *);

/* A server connection on fd (not taken: the caller closes it), or NULL. */
struct ssl_st		*tls_conn_new(struct ssl_ctx_st *, int fd);
void			 tls_conn_free(struct ssl_st *);

/*
 * One step of the handshake: 1 done; 0 to be called again once the
 * socket is ready for *what_r (EV_READ or EV_WRITE); -1 failed (said at
 * debug level, with who).
 */
int			 tls_handshake(struct ssl_st *, short *what_r,
			    const char *who);

/* As recv(2) and send(2) with MSG_DONTWAIT: a count; 0 when the client
 * closed (recv); -1 with errno EAGAIN (again when the socket is ready)
 * or another. */
ssize_t			 tls_recv(struct ssl_st *, void *, size_t);
ssize_t			 tls_send(struct ssl_st *, const void *, size_t);

/* Send close_notify, as far as the socket takes it now. */
void			 tls_close(struct ssl_st *);

#endif /* BALTIC_EXPORT_TLS_H */
