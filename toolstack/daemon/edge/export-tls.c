/* export-tls.c: see export-tls.h. */
#include <sys/types.h>

#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
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

struct ssl_ctx_st *
tls_ctx_new(const char *cert, const char *key, const char *ca, char **err_r)
{
	SSL_CTX		*ctx = NULL;
	const char	*what = "context", *file = "";

	*err_r = NULL;
	if (tls_file("cert", cert, err_r) == -1 ||
	    tls_file("key", key, err_r) == -1 ||
	    (ca != NULL && tls_file("client-ca", ca, err_r) == -1))
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	/* TLS 1.2 and up; no renegotiation, no resumption (nothing to
	 * remember per client); a client that hangs up without close_notify
	 * has just closed; writes as far as the socket takes them, resumed
	 * from wherever the rest of the answer is. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
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

void
tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

struct ssl_st *
tls_conn_new(struct ssl_ctx_st *ctx, int fd)
{
	SSL	*ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
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
