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

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct event_base;
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
/*
 * The bufferevent of a new client connection under TLS (for evhttp),
 * whose server must show a certificate of ctx's CAs naming host: an IP
 * address (numeric) or a DNS name (also sent as SNI).  NULL if out of
 * memory.
 */
struct bufferevent	*tls_bev_client(struct ssl_ctx_st *, struct event_base *,
			    const char *host, bool numeric);

/*
 * A link's context (peer.c: balticd to balticd), server or client: TLS
 * 1.3 and up, cert and key ours, the other end's certificate required
 * and checked against the cluster's CA in ca.  NULL as tls_ctx_new.
 */
struct ssl_ctx_st	*tls_link_ctx_new(const char *cert, const char *key,
			    const char *ca, bool server, char **err_r);

/* A server connection on fd (not taken: the caller closes it), or NULL. */
struct ssl_st		*tls_conn_new(struct ssl_ctx_st *, int fd);
/* A client connection on fd, whose handshake fails unless the server's
 * certificate names host (subjectAltName DNS, else CN); or NULL. */
struct ssl_st		*tls_conn_new_client(struct ssl_ctx_st *, int fd,
			    const char *host);
/* After the handshake: does the other end's verified certificate name
 * host? */
bool			 tls_peer_is(struct ssl_st *, const char *host);
/* After a failed handshake: what was wrong with the other end's
 * certificate, or NULL if nothing was. */
const char		*tls_verify_error(struct ssl_st *);
/* Bytes decrypted and not read yet (a transport's pending()). */
size_t			 tls_pending(struct ssl_st *);
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
