/*
 * graph-json.c: a checked farm as JSON, for provisioning scripts and for
 * `baltic compile --json`.  Keys are written in sorted order in every
 * object and arrays in source order, so the output of one farm is always
 * the same bytes (the golden tests rely on it).
 *
 * {"bindings": [{"expr": EXPR, "name"}],
 *  "exports": [{"addr", "binding", "interface"}],
 *  "farm": NAME,
 *  "instances": [{"binding", "exports": [IFACE], "image", "imports":
 *      [{"interface", "to": EXPR}], "index", "memory", "name", "on",
 *      "on_crash", "role", "type", "vcpus"}],
 *  "interfaces": [{"name", "ops": [{"idempotent", "name", "params":
 *      [{"name", "type"}], "result", "timeout_ms"}]}]}
 *
 * EXPR is {"kind": "vm", "instance", "on", "role", "wires": [{"import",
 * "to"}]},
 * {"kind": "or", "branches", "policy"}, {"kind": "par", "branches"} (a
 * hedged par also "hedge_ms" or "hedge_percentile", a number),
 * {"kind": "ref", "target"}, {"kind": "remote", "interface", "url"} or
 * {"kind": "name", "name"} (another binding).  "on", a vm's host or host
 * label, is there only when the vm is pinned.
 */
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "farm/farm.h"
#include "compile/translate.h"

/* The generator and its first failure: calls after one do nothing. */
struct gen {
	yajl_gen		g;
	yajl_gen_status		st;
};

static void
gen_str(struct gen *j, const char *s)
{
	if (j->st != yajl_gen_status_ok)
		return;
	if (s == NULL)
		j->st = yajl_gen_null(j->g);
	else
		j->st = yajl_gen_string(j->g, (const unsigned char *)s,
		    strlen(s));
}

static void
gen_uint(struct gen *j, unsigned long long v)
{
	if (j->st == yajl_gen_status_ok)
		j->st = yajl_gen_integer(j->g, (long long)v);
}

static void
gen_bool(struct gen *j, bool v)
{
	if (j->st == yajl_gen_status_ok)
		j->st = yajl_gen_bool(j->g, v);
}

static void
gen_null(struct gen *j)
{
	if (j->st == yajl_gen_status_ok)
		j->st = yajl_gen_null(j->g);
}

static void
gen_map(struct gen *j, bool open)
{
	if (j->st == yajl_gen_status_ok)
		j->st = open ? yajl_gen_map_open(j->g) :
		    yajl_gen_map_close(j->g);
}

static void
gen_array(struct gen *j, bool open)
{
	if (j->st == yajl_gen_status_ok)
		j->st = open ? yajl_gen_array_open(j->g) :
		    yajl_gen_array_close(j->g);
}

static void
gen_kv(struct gen *j, const char *key, const char *value)
{
	gen_str(j, key);
	gen_str(j, value);
}

static void	gen_expr(struct gen *, const struct farm_expr *);

static void
gen_wire_to(struct gen *j, const struct farm_wire *w)
{
	gen_str(j, "to");
	if (w != NULL && w->expr != NULL)
		gen_expr(j, w->expr);
	else
		gen_null(j);
}

static void
gen_expr(struct gen *j, const struct farm_expr *e)
{
	size_t	i;

	gen_map(j, true);
	switch (e->kind) {
	case FARM_E_NAME:
		gen_kv(j, "kind", "name");
		gen_kv(j, "name", e->u.name.name);
		break;
	case FARM_E_VM:
		gen_kv(j, "instance", e->u.vm.inst != NULL ?
		    e->u.vm.inst->name : NULL);
		gen_kv(j, "kind", "vm");
		if (e->u.vm.on != NULL)
			gen_kv(j, "on", e->u.vm.on);
		gen_kv(j, "role", e->u.vm.role);
		gen_str(j, "wires");
		gen_array(j, true);
		for (i = 0; i < e->u.vm.nwires; i++) {
			gen_map(j, true);
			gen_kv(j, "import", e->u.vm.wires[i].import);
			gen_wire_to(j, &e->u.vm.wires[i]);
			gen_map(j, false);
		}
		gen_array(j, false);
		break;
	case FARM_E_OR:
	case FARM_E_PAR:
		gen_str(j, "branches");
		gen_array(j, true);
		for (i = 0; i < e->u.comb.nbranches; i++)
			gen_expr(j, e->u.comb.branches[i]);
		gen_array(j, false);
		if (e->kind == FARM_E_PAR && e->u.comb.hedge_ms > 0) {
			gen_str(j, "hedge_ms");
			gen_uint(j, e->u.comb.hedge_ms);
		} else if (e->kind == FARM_E_PAR && e->u.comb.hedge_pct > 0) {
			gen_str(j, "hedge_percentile");
			gen_uint(j, e->u.comb.hedge_pct);
		}
		gen_kv(j, "kind", e->kind == FARM_E_OR ? "or" : "par");
		if (e->kind == FARM_E_OR)
			gen_kv(j, "policy", farm_policy_name(e->u.comb.policy));
		break;
	case FARM_E_REF:
		gen_kv(j, "kind", "ref");
		gen_str(j, "target");
		if (e->u.ref.target != NULL)
			gen_expr(j, e->u.ref.target);
		else
			gen_null(j);
		break;
	case FARM_E_REMOTE:
		gen_kv(j, "interface", e->u.remote.iface);
		gen_kv(j, "kind", "remote");
		gen_kv(j, "url", e->u.remote.url);
		break;
	default:
		gen_kv(j, "kind", "unknown");
		break;
	}
	gen_map(j, false);
}

static const struct farm_wire *
find_wire(const struct farm_expr *vm, const char *import)
{
	size_t	i;

	if (vm == NULL || vm->kind != FARM_E_VM)
		return NULL;
	for (i = 0; i < vm->u.vm.nwires; i++) {
		if (strcmp(vm->u.vm.wires[i].import, import) == 0)
			return &vm->u.vm.wires[i];
	}
	return NULL;
}

static void
gen_instance(struct gen *j, const struct farm_instance *inst)
{
	const struct farm_role	*role = inst->role;
	char			*image = NULL;
	size_t			 i;

	gen_map(j, true);
	gen_kv(j, "binding", inst->binding != NULL ? inst->binding->name :
	    NULL);
	gen_str(j, "exports");
	gen_array(j, true);
	for (i = 0; role != NULL && i < role->nexports; i++)
		gen_str(j, role->exports[i].name);
	gen_array(j, false);
	if (role != NULL)
		image = translate_image_dir(role);
	gen_kv(j, "image", image);
	free(image);
	gen_str(j, "imports");
	gen_array(j, true);
	for (i = 0; role != NULL && i < role->nimports; i++) {
		gen_map(j, true);
		gen_kv(j, "interface", role->imports[i].name);
		gen_wire_to(j, find_wire(inst->vm, role->imports[i].name));
		gen_map(j, false);
	}
	gen_array(j, false);
	gen_str(j, "index");
	gen_uint(j, inst->index);
	gen_str(j, "memory");
	gen_uint(j, role != NULL ? role->memory : 0);
	gen_kv(j, "name", inst->name);
	if (inst->on != NULL)
		gen_kv(j, "on", inst->on);
	gen_kv(j, "on_crash", role == NULL ? NULL :
	    role->on_crash == FARM_CRASH_DESTROY ? "destroy" :
	    role->on_crash == FARM_CRASH_PRESERVE ? "preserve" : "restart");
	gen_kv(j, "role", role != NULL ? role->name : NULL);
	gen_kv(j, "type", role == NULL ? NULL :
	    role->type == FARM_DOM_PVH ? "pvh" : "pv");
	gen_str(j, "vcpus");
	gen_uint(j, role != NULL ? role->vcpus : 0);
	gen_map(j, false);
}

static void
gen_iface(struct gen *j, const struct farm_iface *iface)
{
	const struct farm_op	*op;
	size_t			 i, k;

	gen_map(j, true);
	gen_kv(j, "name", iface->name);
	gen_str(j, "ops");
	gen_array(j, true);
	for (i = 0; i < iface->nops; i++) {
		op = &iface->ops[i];
		gen_map(j, true);
		gen_str(j, "idempotent");
		gen_bool(j, op->idempotent);
		gen_kv(j, "name", op->name);
		gen_str(j, "params");
		gen_array(j, true);
		for (k = 0; k < op->nparams; k++) {
			gen_map(j, true);
			gen_kv(j, "name", op->params[k].name);
			gen_kv(j, "type", farm_vtype_name(op->params[k].type));
			gen_map(j, false);
		}
		gen_array(j, false);
		gen_kv(j, "result", farm_vtype_name(op->result));
		gen_str(j, "timeout_ms");
		gen_uint(j, op->timeout_ms);
		gen_map(j, false);
	}
	gen_array(j, false);
	gen_map(j, false);
}

int
graph_json(const struct farm_file *file, const struct farm *f, bool pretty,
    char **json_r, size_t *len_r)
{
	struct gen		 j = { NULL, yajl_gen_status_ok };
	const unsigned char	*buf;
	size_t			 len, i;
	char			*out = NULL;
	int			 rc = -1;

	*json_r = NULL;
	*len_r = 0;
	if ((j.g = yajl_gen_alloc(NULL)) == NULL)
		goto out;
	if (pretty) {
		yajl_gen_config(j.g, yajl_gen_beautify, 1);
		yajl_gen_config(j.g, yajl_gen_indent_string, "  ");
	}
	yajl_gen_config(j.g, yajl_gen_validate_utf8, 1);

	gen_map(&j, true);
	gen_str(&j, "bindings");
	gen_array(&j, true);
	for (i = 0; i < f->nbindings; i++) {
		gen_map(&j, true);
		gen_str(&j, "expr");
		if (f->bindings[i].expr != NULL)
			gen_expr(&j, f->bindings[i].expr);
		else
			gen_null(&j);
		gen_kv(&j, "name", f->bindings[i].name);
		gen_map(&j, false);
	}
	gen_array(&j, false);

	gen_str(&j, "exports");
	gen_array(&j, true);
	for (i = 0; i < f->nexports; i++) {
		gen_map(&j, true);
		gen_kv(&j, "addr", f->exports[i].addr);
		gen_kv(&j, "binding", f->exports[i].binding);
		gen_kv(&j, "interface", f->exports[i].iface);
		gen_map(&j, false);
	}
	gen_array(&j, false);

	gen_kv(&j, "farm", f->name);

	gen_str(&j, "instances");
	gen_array(&j, true);
	for (i = 0; i < f->ninstances; i++)
		gen_instance(&j, &f->instances[i]);
	gen_array(&j, false);

	gen_str(&j, "interfaces");
	gen_array(&j, true);
	for (i = 0; i < file->nifaces; i++)
		gen_iface(&j, &file->ifaces[i]);
	gen_array(&j, false);
	gen_map(&j, false);

	if (j.st != yajl_gen_status_ok)
		goto out;
	if (yajl_gen_get_buf(j.g, &buf, &len) != yajl_gen_status_ok)
		goto out;
	if ((out = malloc(len + 1)) == NULL)
		goto out;
	memcpy(out, buf, len);
	out[len] = '\0';
	*json_r = out;
	*len_r = len;
	rc = 0;
out:
	if (j.g != NULL)
		yajl_gen_free(j.g);
	return rc;
}
