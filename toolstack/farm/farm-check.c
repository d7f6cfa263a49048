/*
 * farm-check.c: the checker's entry points, farm_check() and
 * farm_load(), and the checks of declarations: interfaces, roles and
 * farms, and the instances each farm's vms become.  Names are resolved
 * in farm-resolve.c, the wiring checked in farm-wire.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "farm/farm-lex.h"

#define BINDINGS_MAX	1024

/* ---- interfaces and roles ---------------------------------------------- */

static void
check_ifaces(struct farm_ck *ck)
{
	struct farm_file	*ff = ck->ff;
	struct farm_iface	*i, *first;
	struct farm_op		*op;
	size_t			 j, k, l, m;

	for (j = 0; j < ff->nifaces; j++) {
		i = &ff->ifaces[j];
		first = farm_find_iface(ff, i->name);
		if (first != i)
			farm_diag(ck->d, &i->loc, FARM_ERROR, "interface '%s' "
			    "is already defined on line %u", i->name,
			    first->loc.line);
		if (i->nops == 0 && !i->incomplete)
			farm_diag(ck->d, &i->loc, FARM_WARNING, "interface "
			    "'%s' declares no operation", i->name);
		for (k = 0; k < i->nops; k++) {
			op = &i->ops[k];
			if (op->name == NULL)
				continue;
			for (l = 0; l < k; l++)
				if (i->ops[l].name &&
				    strcmp(i->ops[l].name, op->name) == 0)
					break;
			if (l < k)
				farm_diag(ck->d, &op->loc, FARM_ERROR,
				    "operation '%s' is already defined in "
				    "interface '%s' on line %u", op->name,
				    i->name, i->ops[l].loc.line);
			for (l = 0; l < op->nparams; l++) {
				for (m = 0; m < l; m++)
					if (strcmp(op->params[m].name,
					    op->params[l].name) == 0)
						break;
				if (m < l)
					farm_diag(ck->d, &op->params[l].loc,
					    FARM_ERROR, "parameter '%s' of "
					    "'%s' is already declared on line "
					    "%u", op->params[l].name, op->name,
					    op->params[m].loc.line);
			}
		}
	}
}

static void
check_names(struct farm_ck *ck, struct farm_role *r, struct farm_name *v,
    size_t n, const char *what)
{
	size_t	j, k;

	for (j = 0; j < n; j++) {
		v[j].iface = farm_resolve_iface(ck, v[j].name, &v[j].loc);
		if (v[j].iface == NULL)
			r->incomplete = true;
		for (k = 0; k < j; k++)
			if (strcmp(v[k].name, v[j].name) == 0)
				break;
		if (k < j)
			farm_diag(ck->d, &v[j].loc, FARM_ERROR, "'%s' is "
			    "listed twice in the %s of role '%s' (first on "
			    "line %u)", v[j].name, what, r->name,
			    v[k].loc.line);
	}
}

static void
check_roles(struct farm_ck *ck)
{
	struct farm_file	*ff = ck->ff;
	struct farm_role	*r, *first;
	size_t			 j;

	for (j = 0; j < ff->nroles; j++) {
		r = &ff->roles[j];
		first = farm_find_role(ff, r->name);
		if (first != r)
			farm_diag(ck->d, &r->loc, FARM_ERROR, "role '%s' is "
			    "already defined on line %u", r->name,
			    first->loc.line);
		check_names(ck, r, r->exports, r->nexports, "exports");
		check_names(ck, r, r->imports, r->nimports, "imports");
		if (r->incomplete)
			continue;
		if (r->image == NULL)
			farm_diag(ck->d, &r->loc, FARM_ERROR, "role '%s' has "
			    "no image (add: image \"directory\")", r->name);
		if (r->nexports == 0)
			farm_diag(ck->d, &r->loc, FARM_ERROR, "role '%s' "
			    "exports no interface: nothing could call its "
			    "instances", r->name);
	}
}

/* ---- instances --------------------------------------------------------- */

static void
each_vm(struct farm_expr *e, void (*fn)(struct farm_expr *, void *),
    void *arg)
{
	size_t	i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_VM:
		fn(e, arg);
		for (i = 0; i < e->u.vm.nwires; i++)
			each_vm(e->u.vm.wires[i].expr, fn, arg);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (i = 0; i < e->u.comb.nbranches; i++)
			each_vm(e->u.comb.branches[i], fn, arg);
		break;
	case FARM_E_REF:
		each_vm(e->u.ref.target, fn, arg);
		break;
	default:
		break;
	}
}

static void
count_vm(struct farm_expr *e, void *arg)
{
	(*(size_t *)arg)++;
}

struct inst_ctx {
	struct farm		*f;
	struct farm_binding	*b;
	size_t			 nvm, n;
};

static void
add_instance(struct farm_expr *e, void *arg)
{
	struct inst_ctx		*c = arg;
	struct farm_instance	*in = &c->f->instances[c->f->ninstances++];

	c->n++;
	in->binding = c->b;
	in->vm = e;
	in->role = e->u.vm.role_p;
	in->on = e->u.vm.on;
	if (c->nvm == 1) {
		in->index = 0;
		in->name = farm_xasprintf("%s-%s", c->f->name, c->b->name);
	} else {
		in->index = c->n;
		in->name = farm_xasprintf("%s-%s-%zu", c->f->name, c->b->name,
		    c->n);
	}
	e->u.vm.inst = in;
}

static void
make_instances(struct farm *f)
{
	struct inst_ctx	c;
	size_t		i, total = 0;

	for (i = 0; i < f->ninstances; i++)
		free(f->instances[i].name);
	free(f->instances);
	f->instances = NULL;
	f->ninstances = 0;
	for (i = 0; i < f->nbindings; i++)
		each_vm(f->bindings[i].expr, count_vm, &total);
	if (total == 0)
		return;
	f->instances = farm_xcalloc(total, sizeof *f->instances);
	for (i = 0; i < f->nbindings; i++) {
		c.f = f;
		c.b = &f->bindings[i];
		c.nvm = c.n = 0;
		each_vm(c.b->expr, count_vm, &c.nvm);
		each_vm(c.b->expr, add_instance, &c);
	}
}

/* ---- farms and files --------------------------------------------------- */

static void
check_farm(struct farm_ck *ck, struct farm *f)
{
	struct farm_binding	*b, *first;
	size_t			 i;

	ck->f = f;
	if (f->nbindings > BINDINGS_MAX) {
		farm_diag(ck->d, &f->loc, FARM_ERROR, "farm '%s' has %zu "
		    "bindings (at most %d)", f->name, f->nbindings,
		    BINDINGS_MAX);
		return;
	}
	for (i = 0; i < f->nbindings; i++) {
		b = &f->bindings[i];
		b->uses = 0;
		first = farm_find_binding(f, b->name);
		if (first != b)
			farm_diag(ck->d, &b->loc, FARM_ERROR, "binding '%s' is "
			    "already defined on line %u", b->name,
			    first->loc.line);
	}
	for (i = 0; i < f->nbindings; i++)
		farm_resolve_expr(ck, f->bindings[i].expr);
	farm_check_cycles(ck);
	farm_check_wiring(ck);
	/* After a syntax error, a use may have been lost: no warnings. */
	for (i = 0; i < f->nbindings && !f->incomplete; i++) {
		b = &f->bindings[i];
		if (b->uses == 0 && farm_find_binding(f, b->name) == b)
			farm_diag(ck->d, &b->loc, FARM_WARNING, "binding '%s' "
			    "is never used nor exported", b->name);
	}
	if (f->nexports == 0 && !f->incomplete)
		farm_diag(ck->d, &f->loc, FARM_WARNING, "farm '%s' exports "
		    "nothing: no outside client can call it", f->name);
	make_instances(f);
	ck->f = NULL;
}

size_t
farm_check(struct farm_file *ff, struct farm_diags *d)
{
	struct farm_ck	ck;
	size_t		before = d->nerrors, i;

	memset(&ck, 0, sizeof ck);
	ck.ff = ff;
	ck.d = d;
	check_ifaces(&ck);
	check_roles(&ck);
	for (i = 0; i < ff->nfarms; i++) {
		if (farm_find_farm(ff, ff->farms[i].name) != &ff->farms[i])
			farm_diag(d, &ff->farms[i].loc, FARM_ERROR, "farm '%s' "
			    "is already defined on line %u", ff->farms[i].name,
			    farm_find_farm(ff, ff->farms[i].name)->loc.line);
		check_farm(&ck, &ff->farms[i]);
	}
	return d->nerrors - before;
}

struct farm_file *
farm_load(const char *path, struct farm_diags *d)
{
	struct farm_file	*ff = NULL;
	char			*buf = NULL;
	size_t			 len = 0, cap = 0;
	ssize_t			 r;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		farm_diag(d, NULL, FARM_ERROR, "cannot open %s: %s", path,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > 64 * 1024 * 1024) {
				farm_diag(d, NULL, FARM_ERROR, "%s: file too "
				    "large", path);
				goto out;
			}
			buf = farm_xreallocarray(buf, cap, 1);
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			farm_diag(d, NULL, FARM_ERROR, "cannot read %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	ff = farm_parse(path, buf, len, d);
	farm_check(ff, d);
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return ff;
}
