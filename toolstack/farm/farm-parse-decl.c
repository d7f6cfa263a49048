/*
 * farm-parse-decl.c: the declarations of a farm file: interfaces and
 * their operations, roles and their properties, farms and their
 * bindings and exports; and farm_parse(), over a whole file.
 */
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

#define MEMORY_MIN	16
#define MEMORY_MAX	(1024 * 1024)
#define VCPUS_MAX	128
#define CRASH_LIMIT_MAX	1000		/* on_crash restart K within T */
#define CRASH_WINDOW_MAX	86400		/* seconds */
#define DISKS_MAX	26	/* xvda to xvdz */
#define VIFS_MAX	16
#define BRIDGE_MAX	15	/* IFNAMSIZ - 1 */
#define TIMEOUT_MAX	(24 * 3600 * 1000)

static const char *reserved[] = {
	"vm", "or", "par", "ref", "remote", "export", NULL
};

static bool
is_reserved(const struct farm_token *t)
{
	const char	**r;

	for (r = reserved; *r != NULL; r++)
		if (farm_tok_is(t, *r))
			return true;
	return false;
}

/* ---- interfaces ------------------------------------------------------ */

static int
parse_type(struct farm_parser *p, bool result, enum farm_vtype *t_r)
{
	static const struct {
		const char	*name;
		enum farm_vtype	 type;
	} types[] = {
		{ "string", FARM_T_STRING }, { "int", FARM_T_INT },
		{ "bool", FARM_T_BOOL }, { "bytes", FARM_T_BYTES },
		{ "void", FARM_T_VOID },
	};
	struct farm_token	*t;
	size_t			 i;

	if (farm_expect_ident(p, "a type (string, int, bool or bytes)",
	    &t) == -1)
		return -1;
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (!farm_tok_is(t, types[i].name))
			continue;
		if (types[i].type == FARM_T_VOID && !result)
			break;
		*t_r = types[i].type;
		return 0;
	}
	farm_diag(p->d, &t->loc, FARM_ERROR, "unknown type '%.*s' (expected "
	    "string, int, bool or bytes%s)", (int)t->len, t->text,
	    result ? ", or no result" : "");
	*t_r = FARM_T_BYTES;
	return 0;
}

static int
parse_op(struct farm_parser *p, void *arg)
{
	struct farm_iface	*iface = arg;
	struct farm_op		 op;
	struct farm_param	*pa;
	struct farm_token	*t;
	int			 rc = -1;

	memset(&op, 0, sizeof op);
	op.result = FARM_T_VOID;
	if (farm_tok_is(farm_cur(p), "idempotent") &&
	    farm_peek(p, 1)->kind == FT_IDENT) {
		farm_next(p);
		op.idempotent = true;
	}
	if (farm_expect_ident(p, "an operation name", &t) == -1)
		goto out;
	op.name = farm_tok_strdup(t);
	op.loc = t->loc;
	if (farm_expect(p, FT_LPAREN, "'(' after the operation name") == -1)
		goto out;
	farm_skip_nl(p);
	while (farm_cur(p)->kind != FT_RPAREN) {
		if (op.nparams > 0) {
			if (farm_expect(p, FT_COMMA, "',' or ')'") == -1)
				goto out;
			farm_skip_nl(p);
		}
		if (farm_expect_ident(p, "a parameter name", &t) == -1)
			goto out;
		pa = FARM_PUSH(op.params, op.nparams);
		pa->name = farm_tok_strdup(t);
		pa->loc = t->loc;
		pa->type = FARM_T_BYTES;
		if (farm_expect(p, FT_COLON, "':' and a type after the "
		    "parameter name") == -1)
			goto out;
		if (parse_type(p, false, &pa->type) == -1)
			goto out;
		farm_skip_nl(p);
	}
	farm_next(p);
	if (farm_cur(p)->kind == FT_ARROW) {
		farm_next(p);
		if (parse_type(p, true, &op.result) == -1)
			goto out;
	}
	if (farm_tok_is(farm_cur(p), "timeout")) {
		farm_next(p);
		t = farm_cur(p);
		if (farm_expect(p, FT_INT, "a timeout in milliseconds") == -1)
			goto out;
		if (!t->bad && (t->num < 1 || t->num > TIMEOUT_MAX))
			farm_diag(p->d, &t->loc, FARM_ERROR, "timeout %.*s ms "
			    "is out of range (1 to %u)", (int)t->len, t->text,
			    TIMEOUT_MAX);
		else if (!t->bad)
			op.timeout_ms = t->num;
	}
	rc = farm_end_statement(p, "an operation");
out:
	if (op.name == NULL)
		iface->incomplete = true;
	else {
		/* Keep a broken op: it exists, for the checker's sake. */
		*FARM_PUSH(iface->ops, iface->nops) = op;
	}
	return rc;
}

static int
parse_iface(struct farm_parser *p)
{
	struct farm_iface	 iface;
	struct farm_token	*t, *kw = farm_next(p);
	char			*what;
	int			 rc = -1;

	memset(&iface, 0, sizeof iface);
	if (farm_expect_ident(p, "an interface name after 'interface'",
	    &t) == -1)
		return -1;
	iface.name = farm_tok_strdup(t);
	iface.loc = t->loc;
	if (farm_expect(p, FT_LBRACE, "'{' after the interface name") == -1) {
		iface.incomplete = true;
		goto out;
	}
	what = farm_xasprintf("interface %s", iface.name);
	rc = farm_parse_block(p, what, &kw->loc, parse_op, &iface);
	free(what);
out:
	*FARM_PUSH(p->ff->ifaces, p->ff->nifaces) = iface;
	return rc;
}

/* ---- roles ----------------------------------------------------------- */

struct role_ctx {
	struct farm_role	*role;
	struct farm_loc		 seen[9];	/* where each property was set */
};

static const char *role_props[] = {
	"image", "memory", "vcpus", "type", "on_crash", "exports", "imports",
	"disk", "vif", NULL
};

static int
parse_names(struct farm_parser *p, struct farm_name **v, size_t *n)
{
	struct farm_token	*t;
	struct farm_name	*nm;

	for (;;) {
		if (farm_expect_ident(p, "an interface name", &t) == -1)
			return -1;
		nm = FARM_PUSH(*v, *n);
		nm->name = farm_tok_strdup(t);
		nm->loc = t->loc;
		if (farm_cur(p)->kind != FT_COMMA)
			return 0;
		farm_next(p);
		farm_skip_nl(p);
	}
}

/* A path relative to the farm file's directory, as for images. */
static char *
resolve_path(struct farm_parser *p, const char *s)
{
	const char	*dir = p->ff->dir;

	if (*s == '/' || strcmp(dir, ".") == 0)
		return farm_xstrdup(s);
	return farm_xasprintf("%s/%s", dir, s);
}

/* The directory after 'image', relative to the file's; -1 if none. */
static int
parse_image(struct farm_parser *p, struct farm_role *r)
{
	struct farm_token	*v = farm_cur(p);

	if (farm_expect(p, FT_STRING, "a quoted directory after 'image'") == -1)
		return -1;
	if (*v->str == '\0' && !v->bad) {
		farm_diag(p->d, &v->loc, FARM_ERROR, "image path is empty");
		r->incomplete = true;
		return 0;
	}
	free(r->image);
	free(r->image_path);
	r->image = farm_xstrdup(v->str);
	r->image_path = resolve_path(p, v->str);
	return 0;
}

static bool
bridge_name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n <= BRIDGE_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

/* disk "FILE" or vif "BRIDGE" (repeatable): one more device. */
static int
parse_dev(struct farm_parser *p, struct farm_role *r, bool disk)
{
	struct farm_token	*v = farm_cur(p);
	struct farm_dev		*dv;

	if (farm_expect(p, FT_STRING, disk ? "a quoted file after 'disk'" :
	    "a quoted bridge name after 'vif'") == -1)
		return -1;
	if (v->bad)
		return 0;
	if (disk && *v->str == '\0') {
		farm_diag(p->d, &v->loc, FARM_ERROR, "disk path is empty");
		return 0;
	}
	if (!disk && !bridge_name_ok(v->str)) {
		farm_diag(p->d, &v->loc, FARM_ERROR, "bad bridge name \"%s\" "
		    "(1 to %d letters, digits, '_', '.' or '-')", v->str,
		    BRIDGE_MAX);
		return 0;
	}
	if ((disk ? r->ndisks >= DISKS_MAX : r->nvifs >= VIFS_MAX)) {
		farm_diag(p->d, &v->loc, FARM_ERROR, "role '%s' has more than "
		    "%d %s", r->name, disk ? DISKS_MAX : VIFS_MAX,
		    disk ? "disks" : "vifs");
		return 0;
	}
	dv = disk ? FARM_PUSH(r->disks, r->ndisks) :
	    FARM_PUSH(r->vifs, r->nvifs);
	dv->spec = farm_xstrdup(v->str);
	dv->path = disk ? resolve_path(p, v->str) : NULL;
	dv->loc = v->loc;
	return 0;
}

/* pv or pvh after 'type'; an unknown name is reported and skipped. */
static int
parse_dom_type(struct farm_parser *p, struct farm_role *r)
{
	struct farm_token	*v = farm_cur(p);

	if (farm_tok_is(v, "pv"))
		r->type = FARM_DOM_PV;
	else if (farm_tok_is(v, "pvh"))
		r->type = FARM_DOM_PVH;
	else if (v->kind == FT_IDENT)
		farm_diag(p->d, &v->loc, FARM_ERROR, "unknown domain type "
		    "'%.*s' (expected pv or pvh)", (int)v->len, v->text);
	else
		return farm_expected(p, "pv or pvh after 'type'");
	farm_next(p);
	return 0;
}

/* After 'restart': optional "K within T", K restarts in place within T
 * seconds before a fresh partition replaces a crashing one. */
static int
parse_crash_limit(struct farm_parser *p, struct farm_role *r)
{
	struct farm_token	*t;

	farm_next(p);
	if (farm_cur(p)->kind != FT_INT)
		return 0;
	if (farm_expect_uint(p, "restart", 1, CRASH_LIMIT_MAX, "",
	    &r->crash_limit) == -1)
		return -1;
	t = farm_cur(p);
	if (!farm_tok_is(t, "within"))
		return farm_expected(p, "'within' and seconds after the "
		    "restart count");
	farm_next(p);
	return farm_expect_uint(p, "within", 1, CRASH_WINDOW_MAX, " s",
	    &r->crash_window_s);
}

/* The action after 'on_crash'; an unknown name is reported and skipped. */
static int
parse_on_crash(struct farm_parser *p, struct farm_role *r)
{
	struct farm_token	*v = farm_cur(p);

	if (farm_tok_is(v, "restart")) {
		r->on_crash = FARM_CRASH_RESTART;
		return parse_crash_limit(p, r);
	} else if (farm_tok_is(v, "preserve"))
		r->on_crash = FARM_CRASH_PRESERVE;
	else if (farm_tok_is(v, "destroy"))
		r->on_crash = FARM_CRASH_DESTROY;
	else if (v->kind == FT_IDENT)
		farm_diag(p->d, &v->loc, FARM_ERROR, "unknown on_crash action "
		    "'%.*s' (expected restart, preserve or destroy)",
		    (int)v->len, v->text);
	else
		return farm_expected(p, "restart, preserve or destroy after "
		    "'on_crash'");
	farm_next(p);
	return 0;
}

/*
 * The index in role_props of the property named by the current token,
 * which is consumed; -1 if it names none (reported, the role marked
 * incomplete).  A property set twice is reported, and parsed again.
 */
static int
role_prop_name(struct farm_parser *p, struct role_ctx *rc)
{
	struct farm_role	*r = rc->role;
	struct farm_token	*t = farm_cur(p);
	int			 i;

	for (i = 0; role_props[i] != NULL; i++)
		if (farm_tok_is(t, role_props[i]))
			break;
	if (role_props[i] == NULL) {
		r->incomplete = true;
		if (t->kind == FT_IDENT) {
			farm_diag(p->d, &t->loc, FARM_ERROR, "unknown role "
			    "property '%.*s' (expected image, memory, vcpus, "
			    "type, on_crash, exports, imports, disk or vif)",
			    (int)t->len, t->text);
			return -1;
		}
		return farm_expected(p, "a role property");
	}
	if (rc->seen[i].line != 0 && i < 7)	/* disk and vif repeat */
		farm_diag(p->d, &t->loc, FARM_ERROR, "'%s' is set twice in "
		    "role '%s' (first on line %u)", role_props[i], r->name,
		    rc->seen[i].line);
	rc->seen[i] = t->loc;
	farm_next(p);
	return i;
}

/*
 * One property of a role.  A broken image or list of interfaces marks
 * the role incomplete, so that the checker does not also report the
 * image or the exports it lacks.
 */
static int
parse_role_prop(struct farm_parser *p, void *arg)
{
	struct role_ctx		*rc = arg;
	struct farm_role	*r = rc->role;

	switch (role_prop_name(p, rc)) {
	case -1:
		return -1;
	case 0:
		if (parse_image(p, r) == -1)
			goto broken;
		break;
	case 1:
		if (farm_expect_uint(p, "memory", MEMORY_MIN, MEMORY_MAX,
		    " MiB", &r->memory) == -1)
			return -1;
		break;
	case 2:
		if (farm_expect_uint(p, "vcpus", 1, VCPUS_MAX, "",
		    &r->vcpus) == -1)
			return -1;
		break;
	case 3:
		if (parse_dom_type(p, r) == -1)
			return -1;
		break;
	case 4:
		if (parse_on_crash(p, r) == -1)
			return -1;
		break;
	case 5:
		if (parse_names(p, &r->exports, &r->nexports) == -1)
			goto broken;
		break;
	case 6:
		if (parse_names(p, &r->imports, &r->nimports) == -1)
			goto broken;
		break;
	case 7:
		if (parse_dev(p, r, true) == -1)
			return -1;
		break;
	case 8:
		if (parse_dev(p, r, false) == -1)
			return -1;
		break;
	}
	if (farm_end_statement(p, "a role property") == -1)
		goto broken;
	return 0;
broken:
	r->incomplete = true;
	return -1;
}

static int
parse_role(struct farm_parser *p)
{
	struct role_ctx		 ctx;
	struct farm_role	 role;
	struct farm_token	*t, *kw = farm_next(p);
	char			*what;
	int			 rc = -1;

	memset(&ctx, 0, sizeof ctx);
	memset(&role, 0, sizeof role);
	role.memory = 128;
	role.vcpus = 1;
	role.type = FARM_DOM_PV;
	role.on_crash = FARM_CRASH_RESTART;
	role.crash_limit = 5;
	role.crash_window_s = 60;
	if (farm_expect_ident(p, "a role name after 'role'", &t) == -1)
		return -1;
	role.name = farm_tok_strdup(t);
	role.loc = t->loc;
	ctx.role = &role;
	if (farm_expect(p, FT_LBRACE, "'{' after the role name") == -1) {
		role.incomplete = true;
		goto out;
	}
	what = farm_xasprintf("role %s", role.name);
	rc = farm_parse_block(p, what, &kw->loc, parse_role_prop, &ctx);
	free(what);
out:
	*FARM_PUSH(p->ff->roles, p->ff->nroles) = role;
	return rc;
}

/* ---- farms ----------------------------------------------------------- */

/* A quoted file after word, resolved against the farm file's directory
 * into *path_r (a second one is reported); -1 if none. */
static int
parse_tls_file(struct farm_parser *p, const char *word, char **path_r)
{
	struct farm_token	*w = farm_next(p), *v = farm_cur(p);
	const char		*dir = p->ff->dir;
	char			 what[64];

	snprintf(what, sizeof what, "a quoted file after '%s'", word);
	if (farm_expect(p, FT_STRING, what) == -1)
		return -1;
	if (*path_r != NULL)
		farm_diag(p->d, &w->loc, FARM_ERROR, "'%s' is given twice",
		    word);
	else if (*v->str == '\0' && !v->bad) {
		farm_diag(p->d, &v->loc, FARM_ERROR, "'%s' file is empty",
		    word);
		*path_r = farm_xstrdup("");	/* reported: not missing */
	} else if (*v->str == '/' || strcmp(dir, ".") == 0)
		*path_r = farm_xstrdup(v->str);
	else
		*path_r = farm_xasprintf("%s/%s", dir, v->str);
	return 0;
}

/*
 * What follows an export's address: 'insecure', or 'tls' then 'cert',
 * 'key' and 'client-ca' files in any order (cert and key needed).
 */
static int
parse_export_sec(struct farm_parser *p, struct farm_export *ex)
{
	struct farm_token	*t = farm_cur(p);

	ex->sec_loc = t->loc;
	if (farm_tok_is(t, "insecure")) {
		farm_next(p);
		ex->insecure = true;
		return farm_end_statement(p, "'insecure'");
	}
	if (!farm_tok_is(t, "tls"))
		return 0;
	farm_next(p);
	ex->tls = true;
	for (;;) {
		t = farm_cur(p);
		if (farm_tok_is(t, "cert")) {
			if (parse_tls_file(p, "cert", &ex->tls_cert) == -1)
				return -1;
		} else if (farm_tok_is(t, "key")) {
			if (parse_tls_file(p, "key", &ex->tls_key) == -1)
				return -1;
		} else if (farm_tok_is(t, "client-ca")) {
			if (parse_tls_file(p, "client-ca", &ex->tls_ca) == -1)
				return -1;
		} else
			break;
	}
	if (ex->tls_cert == NULL || ex->tls_key == NULL)
		farm_diag(p->d, &ex->sec_loc, FARM_ERROR, "'tls' needs a "
		    "certificate and its key (tls cert \"FILE\" key \"FILE\")");
	return farm_end_statement(p, "'tls' files (cert, key, client-ca)");
}

static int
parse_export(struct farm_parser *p, struct farm *f)
{
	struct farm_export	 ex;
	struct farm_token	*t;
	int			 rc = -1;

	memset(&ex, 0, sizeof ex);
	farm_next(p);
	if (farm_expect_ident(p, "a binding name after 'export'", &t) == -1)
		goto out;
	ex.binding = farm_tok_strdup(t);
	ex.loc = t->loc;
	if (farm_expect(p, FT_DOT, "'.' and an interface name (export "
	    "binding.Interface)") == -1)
		goto out;
	if (farm_expect_ident(p, "an interface name after '.'", &t) == -1)
		goto out;
	ex.iface = farm_tok_strdup(t);
	ex.iface_loc = t->loc;
	if (farm_tok_is(farm_cur(p), "at")) {
		farm_next(p);
		t = farm_cur(p);
		if (farm_expect(p, FT_STRING, "a quoted \"host:port\" after "
		    "'at'") == -1)
			goto out;
		ex.addr = farm_xstrdup(t->str);
		ex.addr_bad = t->bad;
		ex.addr_loc = t->loc;
		if (parse_export_sec(p, &ex) == -1)
			goto out;
	}
	rc = farm_end_statement(p, "an export");
out:
	if (rc == 0)
		*FARM_PUSH(f->exports, f->nexports) = ex;
	else {
		free(ex.binding);
		free(ex.iface);
		free(ex.addr);
		free(ex.tls_cert);
		free(ex.tls_key);
		free(ex.tls_ca);
	}
	return rc;
}

static int
parse_farm_item(struct farm_parser *p, void *arg)
{
	struct farm		*f = arg;
	struct farm_binding	*b;
	struct farm_token	*t = farm_cur(p);

	p->stmt_col = t->loc.col;
	if (farm_tok_is(t, "export") && farm_peek(p, 1)->kind != FT_EQ)
		return parse_export(p, f);
	if (t->kind != FT_IDENT || farm_peek(p, 1)->kind != FT_EQ)
		return farm_expected(p, "a binding (name = expression) or "
		    "'export'");
	if (is_reserved(t))
		farm_diag(p->d, &t->loc, FARM_ERROR, "'%.*s' is a reserved "
		    "word and cannot name a binding", (int)t->len, t->text);
	farm_next(p);
	farm_next(p);
	farm_skip_nl(p);
	b = FARM_PUSH(f->bindings, f->nbindings);
	b->name = farm_tok_strdup(t);
	b->loc = t->loc;
	if ((b->expr = farm_parse_expr_at(p)) == NULL)
		return -1;
	return farm_end_statement(p, "a binding");
}

static int
parse_farm_item_mark(struct farm_parser *p, void *arg)
{
	struct farm	*f = arg;

	if (parse_farm_item(p, arg) == -1) {
		f->incomplete = true;
		return -1;
	}
	return 0;
}

static int
parse_farm(struct farm_parser *p)
{
	struct farm		 f;
	struct farm_token	*t, *kw = farm_next(p);
	char			*what;
	int			 rc = -1;

	memset(&f, 0, sizeof f);
	if (farm_expect_ident(p, "a farm name after 'farm'", &t) == -1)
		return -1;
	f.name = farm_tok_strdup(t);
	f.loc = t->loc;
	if (farm_expect(p, FT_LBRACE, "'{' after the farm name") == -1) {
		f.incomplete = true;
		goto out;
	}
	what = farm_xasprintf("farm %s", f.name);
	rc = farm_parse_block(p, what, &kw->loc, parse_farm_item_mark, &f);
	free(what);
	if (rc == -1)
		f.incomplete = true;
out:
	*FARM_PUSH(p->ff->farms, p->ff->nfarms) = f;
	return rc;
}

/* ---- files ----------------------------------------------------------- */

static void
parse_file(struct farm_parser *p)
{
	struct farm_token	*t;
	size_t			 start;
	int			 rc;

	for (;;) {
		while (farm_cur(p)->kind == FT_NL ||
		    farm_cur(p)->kind == FT_SEMI)
			farm_next(p);
		t = farm_cur(p);
		if (t->kind == FT_EOF)
			break;
		start = p->pos;
		if (farm_tok_is(t, "interface"))
			rc = parse_iface(p);
		else if (farm_tok_is(t, "role"))
			rc = parse_role(p);
		else if (farm_tok_is(t, "farm"))
			rc = parse_farm(p);
		else
			rc = farm_expected(p, "'interface', 'role' or 'farm'");
		if (rc == -1) {
			/* Skip to the next interface, role or farm. */
			for (;;) {
				farm_sync_statement(p, start);
				if (p->pos == start ||
				    farm_cur(p)->kind == FT_RBRACE)
					farm_next(p);
				while (farm_cur(p)->kind == FT_NL ||
				    farm_cur(p)->kind == FT_SEMI)
					farm_next(p);
				t = farm_cur(p);
				if (t->kind == FT_EOF || farm_is_decl(t))
					break;
				start = p->pos;
			}
		}
	}
}

static char *
dir_of(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return farm_xstrdup(".");
	if (slash == path)
		return farm_xstrdup("/");
	return farm_xstrndup(path, slash - path);
}

struct farm_file *
farm_parse(const char *path, const char *text, size_t len,
    struct farm_diags *d)
{
	struct farm_parser		 p;
	struct farm_file	*ff;

	ff = farm_xcalloc(1, sizeof *ff);
	ff->path = farm_xstrdup(path);
	ff->dir = dir_of(path);

	memset(&p, 0, sizeof p);
	p.file = ff->path;
	p.d = d;
	p.ff = ff;
	p.allow_vm = true;
	farm_lex(ff->path, text, len, &p.toks, d);
	parse_file(&p);
	farm_tokens_dispose(&p.toks);
	return ff;
}
