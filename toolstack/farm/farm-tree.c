/*
 * farm-tree.c: freeing the syntax tree, look-ups, names of enums.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "farm/farm-lex.h"

const char *
farm_vtype_name(enum farm_vtype t)
{
	switch (t) {
	case FARM_T_STRING:	return "string";
	case FARM_T_INT:	return "int";
	case FARM_T_BOOL:	return "bool";
	case FARM_T_BYTES:	return "bytes";
	case FARM_T_VOID:	return "void";
	}
	return "?";
}

const char *
farm_policy_name(enum farm_policy p)
{
	switch (p) {
	case FARM_OR_RANDOM:		return "random";
	case FARM_OR_ROUNDROBIN:	return "roundrobin";
	case FARM_OR_LEASTOUT:		return "leastout";
	case FARM_OR_FAILOVER:		return "failover";
	}
	return "?";
}

void
farm_expr_free(struct farm_expr *e)
{
	size_t	i;

	if (e == NULL)
		return;
	switch (e->kind) {
	case FARM_E_NAME:
		free(e->u.name.name);
		break;
	case FARM_E_VM:
		free(e->u.vm.role);
		free(e->u.vm.on);
		for (i = 0; i < e->u.vm.nwires; i++) {
			free(e->u.vm.wires[i].import);
			farm_expr_free(e->u.vm.wires[i].expr);
		}
		free(e->u.vm.wires);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		for (i = 0; i < e->u.comb.nbranches; i++)
			farm_expr_free(e->u.comb.branches[i]);
		free(e->u.comb.branches);
		break;
	case FARM_E_REF:
		farm_expr_free(e->u.ref.target);
		break;
	case FARM_E_REMOTE:
		free(e->u.remote.iface);
		free(e->u.remote.url);
		free(e->u.remote.ca);
		break;
	}
	free(e);
}

void
farm_iface_dispose(struct farm_iface *i)
{
	size_t	j, k;

	free(i->name);
	for (j = 0; j < i->nops; j++) {
		free(i->ops[j].name);
		for (k = 0; k < i->ops[j].nparams; k++)
			free(i->ops[j].params[k].name);
		free(i->ops[j].params);
	}
	free(i->ops);
	memset(i, 0, sizeof *i);
}

void
farm_role_dispose(struct farm_role *r)
{
	size_t	j;

	free(r->name);
	free(r->image);
	free(r->image_path);
	for (j = 0; j < r->nexports; j++)
		free(r->exports[j].name);
	free(r->exports);
	for (j = 0; j < r->nimports; j++)
		free(r->imports[j].name);
	free(r->imports);
	for (j = 0; j < r->ndisks; j++) {
		free(r->disks[j].spec);
		free(r->disks[j].path);
	}
	free(r->disks);
	for (j = 0; j < r->nvifs; j++)
		free(r->vifs[j].spec);
	free(r->vifs);
	memset(r, 0, sizeof *r);
}

void
farm_dispose(struct farm *f)
{
	size_t	j;

	free(f->name);
	for (j = 0; j < f->nbindings; j++) {
		free(f->bindings[j].name);
		farm_expr_free(f->bindings[j].expr);
	}
	free(f->bindings);
	for (j = 0; j < f->nexports; j++) {
		free(f->exports[j].binding);
		free(f->exports[j].iface);
		free(f->exports[j].addr);
		free(f->exports[j].tls_cert);
		free(f->exports[j].tls_key);
		free(f->exports[j].tls_ca);
	}
	free(f->exports);
	for (j = 0; j < f->ninstances; j++)
		free(f->instances[j].name);
	free(f->instances);
	memset(f, 0, sizeof *f);
}

void
farm_file_free(struct farm_file *ff)
{
	size_t	i;

	if (ff == NULL)
		return;
	for (i = 0; i < ff->nifaces; i++)
		farm_iface_dispose(&ff->ifaces[i]);
	free(ff->ifaces);
	for (i = 0; i < ff->nroles; i++)
		farm_role_dispose(&ff->roles[i]);
	free(ff->roles);
	for (i = 0; i < ff->nfarms; i++)
		farm_dispose(&ff->farms[i]);
	free(ff->farms);
	free(ff->path);
	free(ff->dir);
	free(ff);
}

struct farm_iface *
farm_find_iface(const struct farm_file *ff, const char *name)
{
	size_t	i;

	for (i = 0; i < ff->nifaces; i++)
		if (ff->ifaces[i].name && strcmp(ff->ifaces[i].name, name) == 0)
			return &ff->ifaces[i];
	return NULL;
}

struct farm_op *
farm_find_op(const struct farm_iface *iface, const char *name)
{
	size_t	i;

	for (i = 0; i < iface->nops; i++)
		if (strcmp(iface->ops[i].name, name) == 0)
			return &iface->ops[i];
	return NULL;
}

struct farm *
farm_find_farm(const struct farm_file *ff, const char *name)
{
	size_t	i;

	for (i = 0; i < ff->nfarms; i++)
		if (strcmp(ff->farms[i].name, name) == 0)
			return &ff->farms[i];
	return NULL;
}

struct farm_binding *
farm_find_binding(const struct farm *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->nbindings; i++)
		if (strcmp(f->bindings[i].name, name) == 0)
			return &f->bindings[i];
	return NULL;
}

/* Append s to the growing string *buf. */
static void
str_add(char **buf, const char *s)
{
	size_t	old = *buf ? strlen(*buf) : 0;

	*buf = farm_xreallocarray(*buf, old + strlen(s) + 1, 1);
	memcpy(*buf + old, s, strlen(s) + 1);
}

/* A par's " hedge MS" or " hedge pN", if it has one. */
static void
hedge_str(char **buf, const struct farm_expr *e)
{
	char	w[32];

	if (e->kind != FARM_E_PAR)
		return;
	if (e->u.comb.hedge_ms > 0)
		snprintf(w, sizeof w, " hedge %u", e->u.comb.hedge_ms);
	else if (e->u.comb.hedge_pct > 0)
		snprintf(w, sizeof w, " hedge p%u", e->u.comb.hedge_pct);
	else
		return;
	str_add(buf, w);
}

static void
expr_str(char **buf, const struct farm_expr *e)
{
	size_t	i;

	if (e == NULL) {
		str_add(buf, "?");
		return;
	}
	switch (e->kind) {
	case FARM_E_NAME:
		str_add(buf, e->u.name.name);
		break;
	case FARM_E_VM:
		str_add(buf, "vm ");
		str_add(buf, e->u.vm.role);
		if (e->u.vm.on != NULL) {
			str_add(buf, " on \"");
			str_add(buf, e->u.vm.on);
			str_add(buf, "\"");
		}
		if (e->u.vm.nwires == 0)
			break;
		str_add(buf, " { ");
		for (i = 0; i < e->u.vm.nwires; i++) {
			if (i > 0)
				str_add(buf, ", ");
			str_add(buf, e->u.vm.wires[i].import);
			str_add(buf, " = ");
			expr_str(buf, e->u.vm.wires[i].expr);
		}
		str_add(buf, " }");
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		str_add(buf, e->kind == FARM_E_OR ? "or" : "par");
		if (e->kind == FARM_E_OR && e->u.comb.policy != FARM_OR_RANDOM) {
			str_add(buf, " ");
			str_add(buf, farm_policy_name(e->u.comb.policy));
		}
		hedge_str(buf, e);
		str_add(buf, "(");
		for (i = 0; i < e->u.comb.nbranches; i++) {
			if (i > 0)
				str_add(buf, ", ");
			expr_str(buf, e->u.comb.branches[i]);
		}
		str_add(buf, ")");
		if (e->u.comb.pool_max > 0) {
			char	pool[96];

			snprintf(pool, sizeof pool, " elastic %u to %u grow %u "
			    "idle %u", e->u.comb.pool_min, e->u.comb.pool_max,
			    e->u.comb.pool_grow, e->u.comb.pool_idle_s);
			str_add(buf, pool);
		}
		break;
	case FARM_E_REF:
		str_add(buf, "ref ");
		expr_str(buf, e->u.ref.target);
		break;
	case FARM_E_REMOTE:
		str_add(buf, "remote ");
		str_add(buf, e->u.remote.iface);
		str_add(buf, " \"");
		str_add(buf, e->u.remote.url);
		str_add(buf, "\"");
		if (e->u.remote.ca != NULL) {
			str_add(buf, " ca \"");
			str_add(buf, e->u.remote.ca);
			str_add(buf, "\"");
		}
		break;
	}
}

char *
farm_expr_str(const struct farm_expr *e)
{
	char	*buf = NULL;

	expr_str(&buf, e);
	return buf;
}
