/*
 * apply.h: what the two halves of `baltic apply` share: the plan
 * (apply-plan.c: what changes, said to the client) and its execution
 * (apply.c: staging, the switch, draining).
 */
#ifndef BALTIC_DAEMON_APPLY_H
#define BALTIC_DAEMON_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl;
struct event;
struct farm;
struct farm_expr;
struct farm_file;
struct farm_instance;
struct farm_run;
struct farm_run_export;
struct node;
struct part;

enum apply_act { APPLY_KEEP, APPLY_CREATE, APPLY_REPLACE };

/* The plan's kinds of item, each a key of the answer's CTL_K_PLAN. */
enum plan_kind { PLAN_CREATE, PLAN_KEEP, PLAN_REPLACE, PLAN_DESTROY,
	PLAN_REWIRE, PLAN_EXPORTS_ADD, PLAN_EXPORTS_MOVE, PLAN_EXPORTS_DEL,
	PLAN_KINDS };


struct apply_inst {
	struct farm_instance	*inst;		/* the new definition's */
	struct part		*old;		/* running it now, or NULL */
	struct part		*p;		/* running it after */
	enum apply_act		 act;
	bool			 rewired;
	struct node		**wires;	/* p's imports, new graph */
};

struct apply {
	struct ctl		*c;
	struct farm_run		*f;
	struct farm_file	*file;
	struct farm		*farm;
	char			*path;
	char			*source;
	size_t			 len;
	struct apply_inst	*v;		/* by instance of farm */
	struct node		**bind_nodes;	/* new graph */
	struct farm_run_export	*exports;	/* farm's */
	size_t			*from;		/* kept: old index; else -1 */
	bool			 staged;	/* graph built, parts made */
	struct event		*tick;
	uint64_t		 deadline_us;
	uint64_t		 started_us;
	char			**items[PLAN_KINDS];	/* the plan */
	size_t			 nitems[PLAN_KINDS];
};

#define NO_EXPORT	((size_t)-1)

/* apply-plan.c */
bool	 apply_plan(struct apply *);		/* anything changes? */
void	 apply_say_plan(struct apply *);
void	 apply_answer(struct apply *, const char *msg, bool changed);
char	*apply_fresh_name(struct farm_run *, const struct farm_instance *);
bool	 apply_expr_same(struct farm_expr *, struct farm_expr *);

#endif /* BALTIC_DAEMON_APPLY_H */
