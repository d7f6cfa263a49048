/* export-tls.c: see export-tls.h. */
#include <sys/types.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/edge/export-tls.h"
#include "log.h"

/* OpenSSL's reason for what just failed, and its queue emptied. */
static const char *
tls_reason(void)
{
	const char	*why = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return why != NULL ? why : "closed";
}

/* A file named in the farm: readable, or -1 with *err_r set. */
static int
tls_file(const char *what, const char *path, char **err_r)
{
	if (access(path, R_OK) == 0)
		return 0;
	if (asprintf(err_r, "tls %s %s: %s", what, path, strerror(errno)) ==
	    -1)
		*err_r = NULL;
	return -1;
}

/* Client certificates required, checked against the CAs in ca. */
static int
tls_ctx_clients(SSL_CTX *ctx, const char *ca)
{
	STACK_OF(X509_NAME)	*names;

	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(ca)) == NULL)
		return -1;
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return 0;
}

/*
 * A context for method, from TLS version min up, with cert and key, and
 * the peer's certificate required and checked against ca if not NULL.
 */
static SSL_CTX *
tls_ctx_make(const SSL_METHOD *method, int min, const char *cert,
    const char *key, const char *ca, char **err_r)
{
	SSL_CTX		*ctx = NULL;
	const char	*what = "context", *file = "";

	*err_r = NULL;
	if (tls_file("cert", cert, err_r) == -1 ||
	    tls_file("key", key, err_r) == -1 ||
	    (ca != NULL && tls_file("client-ca", ca, err_r) == -1))
		return NULL;
	if ((ctx = SSL_CTX_new(method)) == NULL)
		goto fail;
	/* No renegotiation, no resumption (nothing to remember per
	 * client); a client that hangs up without close_notify has just
	 * closed; writes as far as the socket takes them, resumed from
	 * wherever the rest of the answer is. */
	SSL_CTX_set_min_proto_version(ctx, min);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	what = "cert";
	file = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	what = "key";
	file = key;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		goto fail;
	if (SSL_CTX_check_private_key(ctx) != 1) {
		if (asprintf(err_r, "tls key %s does not match cert %s", key,
		    cert) == -1)
			*err_r = NULL;
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	what = "client-ca";
	file = ca;
	if (ca != NULL && tls_ctx_clients(ctx, ca) == -1)
		goto fail;
	return ctx;
fail:
	if (asprintf(err_r, "tls %s %s: %s", what, file, tls_reason()) == -1)
		*err_r = NULL;
	SSL_CTX_free(ctx);
	return NULL;
}

/* An export's: TLS 1.2 and up. */
struct ssl_ctx_st *
tls_ctx_new(const char *cert, const char *key, const char *ca, char **err_r)
{
	return tls_ctx_make(TLS_server_method(), TLS1_2_VERSION, cert, key,
	    ca, err_r);
}

/*
 * A link's, either end: TLS 1.3 only, and both ends prove themselves
 * with a certificate of the cluster's CA (a link carries calls into any
 * partition of the host, so nobody else may open one).
 */
struct ssl_ctx_st *
tls_link_ctx_new(const char *cert, const char *key, const char *ca,
    bool server, char **err_r)
{
	return tls_ctx_make(server ? TLS_server_method() : TLS_client_method(),
	    TLS1_3_VERSION, cert, key, ca, err_r);
}

void
tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

struct bufferevent *
tls_bev_client(struct ssl_ctx_st *ctx, struct event_base *base,
    const char *host, bool numeric)
{
	struct bufferevent	*bev;
	SSL			*ssl;
	int			 ok;

	if ((ssl = SSL_new(ctx)) == NULL)
		return NULL;
	if (numeric)
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	else
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 &&
		    SSL_set1_host(ssl, host) == 1;
	if (ok != 1 || (bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* A connection on fd; host: the client's, which checks the server's
 * certificate names host; NULL: the server's. */
static SSL *
tls_conn_make(SSL_CTX *ctx, int fd, const char *host)
{
	SSL	*ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1 ||
	    (host != NULL && SSL_set1_host(ssl, host) != 1)) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	if (host != NULL)
		SSL_set_connect_state(ssl);
	else
		SSL_set_accept_state(ssl);
	return ssl;
}

struct ssl_st *
tls_conn_new(struct ssl_ctx_st *ctx, int fd)
{
	return tls_conn_make(ctx, fd, NULL);
}

struct ssl_st *
tls_conn_new_client(struct ssl_ctx_st *ctx, int fd, const char *host)
{
	return tls_conn_make(ctx, fd, host);
}

/* X509_check_host: the certificate's subjectAltName DNS names, or its
 * CN when it has none. */
bool
tls_peer_is(struct ssl_st *ssl, const char *host)
{
	X509	*x;
	bool	 ok;

	if ((x = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK)
		return false;
	ok = X509_check_host(x, host, strlen(host), 0, NULL) == 1;
	ERR_clear_error();
	return ok;
}

const char *
tls_verify_error(struct ssl_st *ssl)
{
	long	v = SSL_get_verify_result(ssl);

	return v == X509_V_OK ? NULL : X509_verify_cert_error_string(v);
}

size_t
tls_pending(struct ssl_st *ssl)
{
	int	n = SSL_pending(ssl);

	return n > 0 ? (size_t)n : 0;
}

void
tls_conn_free(struct ssl_st *ssl)
{
	SSL_free(ssl);
}

int
tls_handshake(struct ssl_st *ssl, short *what_r, const char *who)
{
	int	r;

	ERR_clear_error();
	if ((r = SSL_do_handshake(ssl)) == 1)
		return 1;
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*what_r = EV_READ;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*what_r = EV_WRITE;
		return 0;
	default:
		log_debug("%s: tls handshake failed: %s", who, tls_reason());
		return -1;
	}
}

/* errno for a TLS read or write that returned r: -1 with it set, or 0
 * when the client closed. */
static ssize_t
tls_fail(SSL *ssl, int r)
{
	int	saved = errno;

	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		errno = saved != 0 && saved != EAGAIN ? saved : ECONNRESET;
		return -1;
	default:
		log_debug("tls: %s", tls_reason());
		errno = EPROTO;
		return -1;
	}
}

/* One read or write, as tls_recv and tls_send say. */
static ssize_t
tls_io(SSL *ssl, void *rbuf, const void *wbuf, size_t len)
{
	size_t	n;
	int	r;

	ERR_clear_error();
	errno = 0;
	r = rbuf != NULL ? SSL_read_ex(ssl, rbuf, len, &n) :
	    SSL_write_ex(ssl, wbuf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	if (tls_fail(ssl, r) == -1)
		return -1;
	if (rbuf != NULL)
		return 0;
	errno = EPIPE;		/* the client closed: nothing to write to */
	return -1;
}

ssize_t
tls_recv(struct ssl_st *ssl, void *buf, size_t len)
{
	return tls_io(ssl, buf, NULL, len);
}

ssize_t
tls_send(struct ssl_st *ssl, const void *buf, size_t len)
{
	return tls_io(ssl, NULL, buf, len);
}

void
tls_close(struct ssl_st *ssl)
{
	ERR_clear_error();
	if (SSL_shutdown(ssl) < 0)
		ERR_clear_error();
}
