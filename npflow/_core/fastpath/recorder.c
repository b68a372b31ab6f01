/* npflow's C accelerator: the tape recorder: Node, the recorder's one-pass record of an op on a
   tape (Recorder.record_simple's common case), watch, untrack, what the recorder and forward
   mode share (operand entries, plain calls, the tape lock, fit, op_info) and trace_one, which
   hands a result to this thread's traces. */
#include "fastpath.h"

/* ---- the tape recorder (autodiff) -------------------------------------- */
/* RootVersion and Node are autodiff/core.py's (and dispatch.py's) classes, as C
   types; record() is Recorder.record_simple: the common case of recording one op
   on a tape. Every decision it cannot take (subclasses, a plan not cached yet,
   ops with several outputs, views) returns 0 and leaves it to the Python code. */

/* A Node from its fields (new references to each are taken). */
static PyObject *
node_make(PyObject *op, PyObject *params, PyObject *parents, PyObject *saved, PyObject *ans,
          PyObject *meta, PyObject *checks)
{
    NodeObject *n = PyObject_GC_NewVar(NodeObject, &npf_NodeType, 0);
    if (n == NULL)
        return NULL;
    PyObject *f[NFIELDS] = {op, params, parents, saved, ans, meta, checks, Py_None};
    PyObject **slot = &n->op;
    for (int i = 0; i < NFIELDS; i++) {
        Py_INCREF(f[i]);
        slot[i] = f[i];
    }
    n->nout = 1;
    n->n = -1;
    n->nchecks = 0;
    n->released = 0;
    PyObject_GC_Track(n);
    return (PyObject *)n;
}

/* An inline node of ``nops`` operands and ``nchecks`` saved values, its items NULL for the
   caller to fill (a new reference each); not GC-tracked until node_ready(). */
static NodeObject *
node_make_inline(PyObject *op, PyObject *params, PyObject *ans, Py_ssize_t nops, Py_ssize_t nchecks)
{
    Py_ssize_t size = 3 * nops + 3 * nchecks;
    NodeObject *n = PyObject_GC_NewVar(NodeObject, &npf_NodeType, size);
    if (n == NULL)
        return NULL;
    PyObject **slot = &n->op;
    for (int i = 0; i < NFIELDS; i++)
        slot[i] = NULL;
    n->op = Py_NewRef(op);
    n->params = Py_NewRef(params);
    n->ans = Py_NewRef(ans);
    n->custom = Py_NewRef(Py_None);
    n->nout = 1;
    n->n = nops;
    n->nchecks = nchecks;
    n->released = 0;
    memset(n->items, 0, size * sizeof(PyObject *));
    return n;
}

static PyObject *
node_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"op", "params", "parents", "saved", "ans", "meta", "checks", "custom",
                            "nout", NULL};
    PyObject *f[NFIELDS] = {NULL};
    Py_ssize_t nout = 1;
    f[7] = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO|On:Node", names, &f[0], &f[1], &f[2], &f[3],
                                     &f[4], &f[5], &f[6], &f[7], &nout))
        return NULL;
    NodeObject *n = (NodeObject *)node_make(f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
    if (n == NULL)
        return NULL;
    Py_SETREF(n->custom, Py_NewRef(f[7]));
    n->nout = nout;
    return (PyObject *)n;
}

static int
node_traverse(NodeObject *n, visitproc visit, void *arg)
{
    PyObject **slot = &n->op;
    for (int i = 0; i < NFIELDS; i++)
        Py_VISIT(slot[i]);
    for (Py_ssize_t i = 0; i < Py_SIZE(n); i++)
        Py_VISIT(n->items[i]);
    return 0;
}

static int
node_clear(NodeObject *n)
{
    PyObject **slot = &n->op;
    for (int i = 0; i < NFIELDS; i++)
        Py_CLEAR(slot[i]);
    for (Py_ssize_t i = 0; i < Py_SIZE(n); i++)
        Py_CLEAR(n->items[i]);
    return 0;
}

static void
node_dealloc(NodeObject *n)
{
    PyObject_GC_UnTrack(n);
    node_clear(n);
    Py_TYPE(n)->tp_free((PyObject *)n);
}

PyObject *
npf_node_release(NodeObject *n, PyObject *unused)
{
    /* what the backward pass needed goes; op, params, meta and nout stay (names in errors) */
    if (n->n >= 0) {
        for (Py_ssize_t i = 0; i < 2 * n->n; i++)   /* parents, saved */
            Py_CLEAR(n->items[i]);
        for (Py_ssize_t i = 0; i < 3 * n->nchecks; i++)
            Py_CLEAR(NODE_CHECKS(n)[i]);
        n->released = 1;
    }
    else {
        Py_INCREF(Py_None); Py_XSETREF(n->parents, Py_None);
        Py_INCREF(Py_None); Py_XSETREF(n->saved, Py_None);
        Py_INCREF(Py_None); Py_XSETREF(n->checks, Py_None);
    }
    Py_INCREF(Py_None); Py_XSETREF(n->ans, Py_None);
    Py_INCREF(Py_None); Py_XSETREF(n->custom, Py_None);
    Py_RETURN_NONE;
}

/* a tuple of items[0:k] (None for a missing one) */
static PyObject *
items_tuple(PyObject **items, Py_ssize_t k)
{
    PyObject *t = PyTuple_New(k);
    for (Py_ssize_t i = 0; t != NULL && i < k; i++)
        PyTuple_SET_ITEM(t, i, Py_NewRef(items[i] ? items[i] : Py_None));
    return t;
}

/* parents, saved, meta, checks: the field, or the inline items as a tuple (None once released) */
static PyObject *
node_get_seq(NodeObject *n, void *which)
{
    int w = (int)(Py_ssize_t)which;   /* 0 parents, 1 saved, 2 meta, 3 checks */
    if (n->n < 0) {
        PyObject *f = w == 0 ? n->parents : w == 1 ? n->saved : w == 2 ? n->meta : n->checks;
        return Py_NewRef(f ? f : Py_None);
    }
    if (n->released && w != 2)
        return Py_NewRef(Py_None);
    if (w < 3)
        return items_tuple(n->items + w * n->n, n->n);
    PyObject *t = PyTuple_New(n->nchecks);
    for (Py_ssize_t c = 0; t != NULL && c < n->nchecks; c++) {
        PyObject *chk = items_tuple(NODE_CHECKS(n) + 3 * c, 3);
        if (chk == NULL)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, c, chk);
    }
    return t;
}

/* release_nodes(nodes): node.release() for each (Recorder.release's loop) */
PyObject *
npf_py_release_nodes(PyObject *module, PyObject *nodes)
{
    if (!PyList_Check(nodes)) {
        PyErr_SetString(PyExc_TypeError, "release_nodes(nodes: list)");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodes); i++) {
        PyObject *node = PyList_GET_ITEM(nodes, i);
        Py_INCREF(node);
        PyObject *r = Py_TYPE(node) == &npf_NodeType ? npf_node_release((NodeObject *)node, NULL)
                                                   : PyObject_CallMethod(node, "release", NULL);
        Py_DECREF(node);
        if (r == NULL)
            return NULL;
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
}

static PyMethodDef node_methods[] = {
    {"release", (PyCFunction)npf_node_release, METH_NOARGS, "Free what the backward pass needed."},
    {NULL}
};

static PyMemberDef node_members[] = {
    {"op", T_OBJECT_EX, offsetof(NodeObject, op), 0, NULL},   /* (unset: AttributeError, as Python's) */
    {"params", T_OBJECT_EX, offsetof(NodeObject, params), 0, NULL},
    {"ans", T_OBJECT_EX, offsetof(NodeObject, ans), 0, NULL},
    {"custom", T_OBJECT_EX, offsetof(NodeObject, custom), 0, NULL},
    {"nout", T_PYSSIZET, offsetof(NodeObject, nout), 0, NULL},
    {NULL}
};

static PyGetSetDef node_getset[] = {
    {"parents", (getter)node_get_seq, NULL, "each operand's entry (node, index, ...) or None", (void *)0},
    {"saved", (getter)node_get_seq, NULL, "the values the rules read, per operand", (void *)1},
    {"meta", (getter)node_get_seq, NULL, "(shape, dtype) of each operand needing a cotangent", (void *)2},
    {"checks", (getter)node_get_seq, NULL, "(array, version counter, count) per saved value", (void *)3},
    {NULL}
};

PyTypeObject npf_NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.Node",
    .tp_basicsize = offsetof(NodeObject, items),
    .tp_itemsize = sizeof(PyObject *),
    .tp_dealloc = (destructor)node_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)node_traverse,
    .tp_clear = (inquiry)node_clear,
    .tp_methods = node_methods,
    .tp_members = node_members,
    .tp_getset = node_getset,
    .tp_new = node_new,
    .tp_doc = "One recorded op of a tape: its rule inputs, parents and saved values.",
};

/* set by configure_autodiff */
static PyObject *recorder_type = NULL;  /* autodiff.core.Recorder (exact type only) */
TableObject *npf_versions = NULL;    /* dispatch.versions: id(root) -> RootVersion */
static PyObject *py_plan = NULL;        /* core._plan(op, parents, operands) */
static PyObject *meta_type = NULL;      /* core.Meta */
PyObject *npf_lock_acquire = NULL, *npf_lock_release = NULL;   /* core._lock's bound methods */
static PyObject *trace_stacks = NULL;   /* dispatch.stacks: thread id -> its traces, while any */
PyObject *npf_str_nodes, *npf_str_roots, *npf_str_kind, *npf_str_differentiable, *npf_str_released,
    *npf_str_vjp, *npf_str_nout, *npf_str_inplace, *npf_str_where, *npf_str_vjp_uses, *npf_str_acquire, *npf_str_release, *npf_str_out, *npf_str_vjp_plain;
PyObject *npf_inexact_dtypes = NULL; /* dtype -> bool: kind in "fc" */

/* __slots__ members of the Python classes the recorder reads on every op (Recorder.nodes and
   .roots, Op.vjp_uses) are read at their offsets, found once from their member descriptors;
   for an object of exactly the class configured (subclasses may lay out differently). */
static PyObject *op_type = NULL;   /* registry.Op */
static Py_ssize_t off_rec_nodes = -1, off_rec_roots = -1, off_op_vjp_uses = -1, off_op_info = -1;

static Py_ssize_t
slot_offset(PyObject *type, const char *name)
{
    PyObject *d = PyObject_GetAttrString(type, name);   /* (a class gives the descriptor itself) */
    if (d == NULL)
        return -1;
    Py_ssize_t off = -1;
    if (Py_TYPE(d) == &PyMemberDescr_Type && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX)
        off = ((PyMemberDescrObject *)d)->d_member->offset;
    else
        PyErr_Format(PyExc_TypeError, "%R.%s is not a __slots__ member", type, name);
    Py_DECREF(d);
    return off;
}

/* obj.<name>, a new reference: from the slot at ``off`` where obj is exactly ``type`` and the
   slot is set, else by attribute lookup (which raises what Python would) */
static inline PyObject *
slot_get(PyObject *obj, PyObject *type, Py_ssize_t off, PyObject *name)
{
    if ((PyObject *)Py_TYPE(obj) == type && off >= 0) {
        PyObject *v = *(PyObject **)((char *)obj + off);
        if (v != NULL) {
            Py_INCREF(v);
            return v;
        }
    }
    return PyObject_GetAttr(obj, name);
}

/* 1 if the dtype of backend array ``data`` is floating or complex, 0 if not, -1 error */
int
npf_is_inexact_data(PyObject *data)
{
    if (IS_NP(data)) {
        int t = PyArray_TYPE((PyArrayObject *)data);
        return PyTypeNum_ISFLOAT(t) || PyTypeNum_ISCOMPLEX(t);
    }
    PyObject *dt = PyObject_GetAttr(data, npf_str_dtype);
    if (dt == NULL)
        return -1;
    PyObject *known = PyDict_GetItemWithError(npf_inexact_dtypes, dt);
    if (known != NULL) {
        Py_DECREF(dt);
        return known == Py_True;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(dt);
        return -1;
    }
    PyObject *kind = PyObject_GetAttr(dt, npf_str_kind);
    int r = -1;
    if (kind != NULL && PyUnicode_Check(kind)) {
        Py_UCS4 c = PyUnicode_GET_LENGTH(kind) == 1 ? PyUnicode_READ_CHAR(kind, 0) : 0;
        r = c == 'f' || c == 'c';
        if (PyDict_SetItem(npf_inexact_dtypes, dt, r ? Py_True : Py_False) < 0)
            r = -1;
    }
    Py_XDECREF(kind);
    Py_DECREF(dt);
    return r;
}

/* Whether the tape lock must be taken: only when another Python thread exists (with one
   thread, nothing else can hold it, and this code runs holding the GIL). */
static inline int
need_lock(void)
{
    PyThreadState *head = PyInterpreterState_ThreadHead(PyInterpreterState_Get());
    return head == NULL || PyThreadState_Next(head) != NULL;
}

/* _saved_value: x kept; its check x, v, v.n goes to check[0:3] (new references) */
static int
save_value(PyObject *x, PyObject **check, PyObject *roots)
{
    PyObject *d = data_of(x);
    PyObject *v = d ? npf_track(d, roots) : NULL;
    if (v == NULL)
        return -1;
    PyObject *n = PyLong_FromSsize_t(((VersionObject *)v)->n);
    if (n == NULL) {
        Py_DECREF(v);
        return -1;
    }
    check[0] = Py_NewRef(x);
    check[1] = v;
    check[2] = n;
    return 0;
}

/* ---- shared by the recorder and forward mode ------------------------------ */
PyObject *npf_tangents_type = NULL;   /* autodiff.core.Tangents (exact type only) */
PyObject *npf_py_fit = NULL;          /* autodiff.rules.fit */
PyObject *npf_py_trace_from = NULL;   /* core.trace_from(i, op, operands, params, result) */
PyObject *npf_str_jvp, *npf_str_name, *npf_kwnames_forward;   /* ("forward",) */

/* Whether a call's parameters and result suit the one-pass paths: where= absent or True, out=
   absent or None (then *rparams is params without it, a new reference; else NULL), and a fresh
   npflow array as the result (views need the general path's view links). 1 yes, 0 no, -1 error. */
int
npf_plain_call(PyObject *params, PyObject *result, PyObject **rparams)
{
    *rparams = NULL;
    if (Py_TYPE(result) != npf_array_type || DATA(result) == NULL)
        return 0;
    if (PyDict_GET_SIZE(params)) {
        PyObject *w = PyDict_GetItemWithError(params, npf_str_where);
        PyObject *o = w != NULL || !PyErr_Occurred() ? PyDict_GetItemWithError(params, npf_str_out) : NULL;
        if (PyErr_Occurred())
            return -1;
        if ((w != NULL && w != Py_True) || (o != NULL && o != Py_None))
            return 0;
        if (o != NULL) {   /* out=None: the rules get the parameters without it */
            *rparams = PyDict_Copy(params);
            if (*rparams == NULL || PyDict_DelItem(*rparams, npf_str_out) < 0) {
                Py_CLEAR(*rparams);
                return -1;
            }
        }
    }
    PyObject *base = data_base(DATA(result));
    if (base == NULL || base != Py_None) {
        int r = base == NULL ? -1 : 0;
        Py_XDECREF(base);
        Py_CLEAR(*rparams);
        return r;
    }
    Py_DECREF(base);
    return 1;
}

/* The tape lock (core._lock), taken only where another Python thread exists: 1 taken, 0 not
   needed, -1 error. lock_give releases it if taken, keeping a pending error, and returns
   ``status`` (-1 if the release itself failed with no error pending). */
int
npf_lock_take(void)
{
    if (!need_lock())
        return 0;
    PyObject *r = PyObject_CallNoArgs(npf_lock_acquire);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 1;
}

/* core.set_entry(result, trace, payload, 0) for a result no trace has seen yet (a fresh dict).
   The caller holds the lock where needed. 0 done, -1 error. */
int
npf_set_fresh_entry(PyObject *result, PyObject *trace, PyObject *payload, PyObject *roots)
{
    PyObject *d = data_of(result);
    PyObject *v = d ? npf_track(d, roots) : NULL;
    if (v == NULL)
        return -1;
    PyObject *cnt = PyLong_FromSsize_t(((VersionObject *)v)->n);
    PyObject *zero = cnt ? PyLong_FromLong(0) : NULL;
    PyObject *entry = zero ? PyTuple_Pack(4, payload, zero, v, cnt) : NULL;
    Py_XDECREF(cnt); Py_XDECREF(zero); Py_DECREF(v);
    if (entry == NULL)
        return -1;
    ArrayObject *r = (ArrayObject *)result;
    if (r->ad == NULL && r->ad1_trace == NULL) {   /* the common case: no dict */
        Py_INCREF(trace);
        r->ad1_trace = trace;
        r->ad1_entry = entry;
        return 0;
    }
    PyObject *ad = npf_array_get_ad(r, NULL);          /* (the kept entry moved into the dict) */
    if (ad != NULL && !PyDict_Check(ad)) {
        Py_SETREF(ad, PyDict_New());
        if (ad != NULL && npf_array_set_ad(r, ad, NULL) < 0)
            Py_CLEAR(ad);
    }
    int bad = ad == NULL || PyDict_SetItem(ad, trace, entry) < 0;
    Py_XDECREF(ad);
    Py_DECREF(entry);
    return bad ? -1 : 0;
}

/* ``ct`` as rules.fit(ct, shape, dtype, op.name[, forward=True]) makes it, skipping the call
   when ct is already an npflow array of that shape and dtype. Steals ct; NULL on error. */
PyObject *
npf_fit_to(PyObject *fit, PyObject *ct, PyObject *shape, PyObject *dtype, PyObject *op, int forward)
{
    if (Py_TYPE(ct) == npf_array_type && DATA(ct) != NULL) {
        int a, b;
        PyObject *d = DATA(ct);
        if (IS_NP(d) && PyTuple_Check(shape)) {   /* dims and dtype compared in place */
            PyArrayObject *x = (PyArrayObject *)d;
            a = PyTuple_GET_SIZE(shape) == PyArray_NDIM(x);
            for (int k = 0; a > 0 && k < PyArray_NDIM(x); k++) {
                Py_ssize_t m = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, k));
                a = m == -1 && PyErr_Occurred() ? -1 : m == PyArray_DIMS(x)[k];
            }
            PyObject *dt = (PyObject *)PyArray_DESCR(x);
            b = a > 0 ? (dt == dtype ? 1 : PyObject_RichCompareBool(dt, dtype, Py_EQ)) : 0;
        }
        else {
            PyObject *s, *dt;
            if (npf_data_shape_dtype(d, &s, &dt) < 0) {
                Py_DECREF(ct);
                return NULL;
            }
            a = PyObject_RichCompareBool(s, shape, Py_EQ);
            b = a > 0 ? PyObject_RichCompareBool(dt, dtype, Py_EQ) : 0;
            Py_DECREF(s); Py_DECREF(dt);
        }
        if (a < 0 || b < 0) {
            Py_DECREF(ct);
            return NULL;
        }
        if (a && b)
            return ct;
    }
    PyObject *name = PyObject_GetAttr(op, npf_str_name);
    PyObject *fa[5] = {ct, shape, dtype, name, Py_True};   /* (forward=True: its value follows) */
    PyObject *r = name ? PyObject_Vectorcall(fit, fa, 4, forward ? npf_kwnames_forward : NULL) : NULL;
    Py_XDECREF(name);
    Py_DECREF(ct);
    return r;
}

/* What the one-pass paths need of an op, cached while its rules stay the same (defvjp assigns
   op.vjp_uses anew whenever they change): a new reference to [vjp_uses, record's case
   (static_ok and a vjp rule per operand), static_ok (differentiable, one output, writes
   nothing), {operand mask: (args to save, args to keep the shape of, save ans?) as bits}],
   kept in the op's ``fast_info`` slot (an object of a class other than registry.Op gets it
   made anew on every call). */
PyObject *
npf_op_info(PyObject *op)
{
    PyObject *uses = slot_get(op, op_type, off_op_vjp_uses, npf_str_vjp_uses);
    if (uses == NULL)
        return NULL;
    PyObject **kept = (PyObject *)Py_TYPE(op) == op_type ? (PyObject **)((char *)op + off_op_info) : NULL;
    PyObject *info = kept ? *kept : NULL;
    if (info != NULL && PyList_Check(info) && PyList_GET_SIZE(info) == 4 &&
            PyList_GET_ITEM(info, 0) == uses) {
        Py_DECREF(uses);
        Py_INCREF(info);
        return info;
    }
    PyObject *d = PyObject_GetAttr(op, npf_str_differentiable);
    PyObject *vjp = d ? PyObject_GetAttr(op, npf_str_vjp) : NULL;
    PyObject *nout = vjp ? PyObject_GetAttr(op, npf_str_nout) : NULL;
    PyObject *inplace = nout ? PyObject_GetAttr(op, npf_str_inplace) : NULL;
    int fixed = inplace != NULL && d == Py_True && PyLong_Check(nout) && PyLong_AsLong(nout) == 1 &&
                PyObject_Not(inplace) == 1;
    int rev = fixed && PyTuple_Check(vjp);
    Py_XDECREF(d); Py_XDECREF(vjp); Py_XDECREF(nout); Py_XDECREF(inplace);
    info = PyErr_Occurred() ? NULL : Py_BuildValue("[OOO{}]", uses, rev ? Py_True : Py_False,
                                                   fixed ? Py_True : Py_False);
    Py_DECREF(uses);
    if (info != NULL && kept != NULL) {
        Py_INCREF(info);
        Py_XSETREF(*kept, info);
    }
    return info;
}

/* The plan of ``op`` when the operands of ``mask`` need cotangents: a borrowed (args, meta, ans)
   tuple from the op's info (computed once by core._plan, which raises for an operand without
   a rule), or NULL with an error. */
static PyObject *
cached_plan(PyObject *op, PyObject *info, long mask, PyObject **parents, PyObject *operands)
{
    PyObject *plans = PyList_GET_ITEM(info, 3);
    PyObject *key = PyLong_FromLong(mask);
    PyObject *plan = key ? PyDict_GetItemWithError(plans, key) : NULL;
    if (plan != NULL || key == NULL || PyErr_Occurred()) {
        Py_XDECREF(key);
        return plan;
    }
    PyObject *ptuple = items_tuple(parents, PyTuple_GET_SIZE(operands));
    PyObject *args[3] = {op, ptuple, operands};
    PyObject *p = ptuple ? PyObject_Vectorcall(py_plan, args, 3, NULL) : NULL;   /* (frozensets, bool) */
    Py_XDECREF(ptuple);
    if (p != NULL && PyTuple_Check(p) && PyTuple_GET_SIZE(p) == 3) {
        long bits[2] = {0, 0};
        for (int k = 0; k < 2 && !PyErr_Occurred(); k++) {
            PyObject *it = PyObject_GetIter(PyTuple_GET_ITEM(p, k)), *i;
            while (it != NULL && (i = PyIter_Next(it)) != NULL) {
                long j = PyLong_AsLong(i);
                Py_DECREF(i);
                if (j >= 0 && j <= 30)   /* (a rule reading *operands names indices up to 63:
                                            record() takes at most 31 operands) */
                    bits[k] |= 1L << j;
                else if (PyErr_Occurred())
                    break;
            }
            Py_XDECREF(it);
        }
        if (!PyErr_Occurred())
            plan = Py_BuildValue("(llO)", bits[0], bits[1],
                                 PyObject_IsTrue(PyTuple_GET_ITEM(p, 2)) ? Py_True : Py_False);
        if (plan != NULL && PyDict_SetItem(plans, key, plan) < 0)
            Py_CLEAR(plan);
        Py_XDECREF(plan);   /* the dict holds it */
    }
    else if (p != NULL)
        PyErr_SetString(PyExc_TypeError, "_plan() must return (args, meta, ans)");
    Py_XDECREF(p);
    Py_DECREF(key);
    return plan;
}

/* (data.shape, data.dtype), a new reference. The last few made for NumPy arrays are kept and
   shared (a tape records many operands of one shape and dtype; the tuples are immutable). */
#define META_KEEP 16
#define META_NDIM 4
static struct {
    PyObject *meta;                   /* (shape, dtype); it holds the dtype, so descr stays valid */
    PyArray_Descr *descr;
    int ndim;
    npy_intp dims[META_NDIM];
} meta_kept[META_KEEP];
static int meta_next = 0;

static PyObject *
meta_of(PyObject *d)
{
    PyArrayObject *a = (PyArrayObject *)d;
    if (d == NULL)
        return NULL;   /* (data_of raised) */
    int keep = IS_NP(d) && PyArray_NDIM(a) <= META_NDIM;
    /* (NumPy's dims pointer is NULL for a 0-d array: never handed to memcmp/memcpy) */
    for (int k = 0; keep && k < META_KEEP; k++)
        if (meta_kept[k].meta != NULL && meta_kept[k].descr == PyArray_DESCR(a) &&
                meta_kept[k].ndim == PyArray_NDIM(a) && (PyArray_NDIM(a) == 0 ||
                memcmp(meta_kept[k].dims, PyArray_DIMS(a), PyArray_NDIM(a) * sizeof(npy_intp)) == 0)) {
            Py_INCREF(meta_kept[k].meta);
            return meta_kept[k].meta;
        }
    PyObject *shape, *dt;
    if (npf_data_shape_dtype(d, &shape, &dt) < 0)
        return NULL;
    PyObject *m = PyTuple_Pack(2, shape, dt);
    Py_DECREF(shape);
    Py_DECREF(dt);
    if (m != NULL && keep) {
        int k = meta_next;
        meta_next = (meta_next + 1) % META_KEEP;
        Py_INCREF(m);
        Py_XSETREF(meta_kept[k].meta, m);
        meta_kept[k].descr = PyArray_DESCR(a);
        meta_kept[k].ndim = PyArray_NDIM(a);
        if (PyArray_NDIM(a) > 0)
            memcpy(meta_kept[k].dims, PyArray_DIMS(a), PyArray_NDIM(a) * sizeof(npy_intp));
    }
    return m;
}

/* Record ``op`` (one output ``result``, ``operands`` a tuple, ``params`` a dict) on the
   Recorder ``rec``: 1 recorded (or nothing to record), 0 leave it to the Python path,
   -1 error (raised). The tape's lock is held while counters and entries change. */
static int
record(PyObject *rec, PyObject *op, PyObject *operands, PyObject *params, PyObject *result)
{
    Py_ssize_t n = PyTuple_GET_SIZE(operands);
    if (n > 30)
        return 0;
    /* an operand's entry (node, index, ...) or None: held, as Python code that runs meanwhile
       (the plan, the lock's wait for another thread) may replace the operand's entries */
    PyObject *parents[31];
    long mask = 0;
    int tracked = 0, status = 0, locked = 0;
    Py_ssize_t held = 0;
    NodeObject *node = NULL;
    PyObject *nodes = NULL, *roots = NULL, *rparams = NULL, *info = NULL, *plan;
    for (; held < n; held++) {
        PyObject *e;
        int inexact, ok = operand_entry(PyTuple_GET_ITEM(operands, held), rec, &e, &inexact);
        if (ok <= 0) {
            status = ok;
            goto done;
        }
        tracked |= e != NULL;
        if (e == NULL || !inexact)
            Py_XSETREF(e, Py_NewRef(Py_None));
        else
            mask |= 1L << held;
        parents[held] = e;
    }
    status = 1;
    if (!tracked)             /* nothing tracked: nothing to record */
        goto done;
    status = 0;
    /* the general path's cases: not differentiable (or no rule), one rule for all operands,
       several outputs, an in-place op, where=, a view; only integer operands tracked */
    info = npf_op_info(op);
    if (info == NULL)
        goto error;
    if (mask == 0 || PyList_GET_ITEM(info, 1) != Py_True)
        goto done;
    if ((status = npf_plain_call(params, result, &rparams)) <= 0)
        goto done;
    status = 0;
    if ((plan = cached_plan(op, info, mask, parents, operands)) == NULL)
        goto error;
    long want_args = PyLong_AsLong(PyTuple_GET_ITEM(plan, 0));
    long want_meta = PyLong_AsLong(PyTuple_GET_ITEM(plan, 1));
    int want_ans = PyTuple_GET_ITEM(plan, 2) == Py_True;
    nodes = slot_get(rec, recorder_type, off_rec_nodes, npf_str_nodes);
    roots = nodes ? slot_get(rec, recorder_type, off_rec_roots, npf_str_roots) : NULL;
    if (roots == NULL)
        goto error;
    if (!PyList_Check(nodes) || !PyList_Check(roots))
        goto done;
    Py_ssize_t nchecks = want_ans;   /* the saved arrays' checks */
    for (Py_ssize_t i = 0; i < n; i++)
        nchecks += ((want_args >> i) & 1) && Py_TYPE(PyTuple_GET_ITEM(operands, i)) == npf_array_type;
    node = node_make_inline(op, rparams ? rparams : params, want_ans ? result : Py_None, n, nchecks);
    if (node == NULL)
        goto error;
    if ((locked = npf_lock_take()) < 0)
        goto error;
    PyObject **check = NODE_CHECKS(node);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyTuple_GET_ITEM(operands, i), *s = Py_None, *m = Py_None;
        int is_arr = Py_TYPE(x) == npf_array_type;
        NODE_PARENTS(node)[i] = Py_NewRef(parents[i]);
        if ((want_args >> i) & 1) {
            if (is_arr) {
                if (save_value(x, check, roots) < 0)
                    goto error;
                check += 3;
            }
            s = Py_NewRef(x);
        }
        else if (((want_meta >> i) & 1) && is_arr) {
            if ((s = PyObject_CallOneArg(meta_type, x)) == NULL)
                goto error;
        }
        else
            Py_INCREF(s);
        NODE_SAVED(node)[i] = s;
        if ((mask >> i) & 1) {
            if ((m = meta_of(data_of(x))) == NULL)
                goto error;
        }
        else
            Py_INCREF(m);
        NODE_META(node)[i] = m;
    }
    if (want_ans && save_value(result, check, roots) < 0)
        goto error;
    PyObject_GC_Track(node);
    if (PyList_Append(nodes, (PyObject *)node) < 0)
        goto error;
    PyObject *rd = data_of(result);
    int inexact = rd ? npf_is_inexact_data(rd) : -1;
    if (inexact < 0 || (inexact && npf_set_fresh_entry(result, rec, (PyObject *)node, roots) < 0))
        goto error;
    status = 1;
    goto done;
error:
    status = -1;
done:
    status = lock_give(locked, status);
    if (node != NULL && !PyObject_GC_IsTracked((PyObject *)node))
        PyObject_GC_Track(node);   /* (a half-filled node: its NULL items are skipped) */
    Py_XDECREF(node); Py_XDECREF(nodes); Py_XDECREF(roots); Py_XDECREF(rparams); Py_XDECREF(info);
    while (held > 0)
        Py_DECREF(parents[--held]);
    return status;
}

/* Python entry: trace(op, operands, params, result) -> True (this thread's traces took the
   result here) or False (autodiff's Python hook must): what dispatch.traced tries first. */
PyObject *
npf_py_trace(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "trace(op, operands: tuple, params: dict, result)");
        return NULL;
    }
    if (npf_versions == NULL || npf_array_type == NULL)   /* not configured yet: Python's */
        Py_RETURN_FALSE;
    int r = npf_trace_one(args[0], args[1], args[2], args[3]);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

/* watch(rec, x): Recorder.watch's common case, an npflow array (exact type) of a floating
   dtype that no trace tracks yet: a source node and its entry. True done, False: Python's. */
PyObject *
npf_py_watch(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "watch(rec, x)");
        return NULL;
    }
    PyObject *rec = args[0], *x = args[1];
    if (npf_versions == NULL || (PyObject *)Py_TYPE(rec) != recorder_type || Py_TYPE(x) != npf_array_type)
        Py_RETURN_FALSE;
    ArrayObject *a = (ArrayObject *)x;
    if (a->ad1_trace != NULL) {   /* a finished trace's entry goes (as set_entry drops them) */
        PyObject *done = PyObject_GetAttr(a->ad1_trace, npf_str_released);
        if (done == NULL)
            return NULL;
        Py_DECREF(done);
        if (done != Py_True)
            Py_RETURN_FALSE;
        npf_array_set_ad(a, NULL, NULL);
    }
    if (a->ad != NULL || a->data == NULL)   /* (unset data: Python raises) */
        Py_RETURN_FALSE;
    int inexact = npf_is_inexact_data(DATA(x));
    if (inexact <= 0)
        return inexact < 0 ? NULL : Py_NewRef(Py_False);
    PyObject *nodes = slot_get(rec, recorder_type, off_rec_nodes, npf_str_nodes);
    PyObject *roots = nodes ? slot_get(rec, recorder_type, off_rec_roots, npf_str_roots) : NULL;
    PyObject *m = roots ? meta_of(data_of(x)) : NULL;
    PyObject *meta = m ? PyTuple_Pack(1, m) : NULL;
    PyObject *empty = meta ? PyTuple_New(0) : NULL;
    PyObject *node = NULL, *r = NULL;
    if (empty != NULL && PyList_Check(nodes) && PyList_Check(roots) &&
            (node = node_make(Py_None, Py_None, empty, empty, Py_None, meta, empty)) != NULL) {
        int locked = npf_lock_take();
        int status = locked < 0 || PyList_Append(nodes, node) < 0 ||
                     npf_set_fresh_entry(x, rec, node, roots) < 0 ? -1 : 1;
        if (lock_give(locked, status) > 0)
            r = Py_NewRef(Py_True);
    }
    else if (empty != NULL)
        r = PyErr_Occurred() ? NULL : Py_NewRef(Py_False);
    Py_XDECREF(nodes); Py_XDECREF(roots); Py_XDECREF(m); Py_XDECREF(meta); Py_XDECREF(empty);
    Py_XDECREF(node);
    return r;
}

/* untrack(versions, roots): dispatch.untrack_root of each counter (the caller holds the lock) */
PyObject *
npf_py_untrack(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || Py_TYPE(args[0]) != &npf_TableType || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "untrack(versions: VersionTable, roots: list)");
        return NULL;
    }
    TableObject *vers = (TableObject *)args[0];
    PyObject *roots = args[1];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(roots); i++) {
        PyObject *v = PyList_GET_ITEM(roots, i);
        if (Py_TYPE(v) != &npf_VersionType) {
            PyErr_SetString(PyExc_TypeError, "untrack(): not a RootVersion");
            return NULL;
        }
        VersionObject *vo = (VersionObject *)v;
        if (--vo->refs <= 0 && table_get(vers, vo->key) == vo)   /* (pop: only this counter) */
            npf_table_del(vers, vo->key);
    }
    Py_RETURN_NONE;
}

/* A result handed to this thread's traces, outermost first (core.on_apply's order), where
   they are Recorders and Tangents traces: 1 done, 0 not taken (the Python hook takes it),
   -1 error. A trace the C paths decline after others were done here goes, with the rest, to
   core.trace_from(i, ...), on_apply's loop from trace i. */
int
npf_trace_one(PyObject *op, PyObject *operands, PyObject *params, PyObject *result)
{
    PyObject *stack = npf_this_stack();
    if (stack == NULL)
        return -1;
    if (!PyList_Check(stack) || PyList_GET_SIZE(stack) == 0 || PyList_GET_SIZE(stack) > 8)
        return 0;
    if (trace_stacks != NULL && PyDict_GET_SIZE(trace_stacks) > 1)
        return 0;   /* other threads trace too: Python gathers their traces that track these */
    Py_INCREF(stack);
    int r = 1;
    for (Py_ssize_t i = 0; r > 0 && i < PyList_GET_SIZE(stack); i++) {
        PyObject *t = PyList_GET_ITEM(stack, i);
        Py_INCREF(t);
        if (recorder_type != NULL && (PyObject *)Py_TYPE(t) == recorder_type)
            r = record(t, op, operands, params, result);
        else if (npf_tangents_type != NULL && (PyObject *)Py_TYPE(t) == npf_tangents_type) {
            PyObject *outer = i ? PyList_GetSlice(stack, 0, i) : NULL;
            r = i && outer == NULL ? -1 : npf_tangent_record(t, op, operands, params, result, outer);
            Py_XDECREF(outer);
        }
        else
            r = 0;
        Py_DECREF(t);
        if (r == 0 && i > 0) {   /* traces before i were handled here: Python goes on from i */
            PyObject *idx = PyLong_FromSsize_t(i);
            PyObject *a[5] = {idx, op, operands, params, result};
            PyObject *done = idx ? PyObject_Vectorcall(npf_py_trace_from, a, 5, NULL) : NULL;
            Py_XDECREF(idx);
            r = done == NULL ? -1 : 1;
            Py_XDECREF(done);
            break;
        }
    }
    Py_DECREF(stack);
    return r;
}

PyObject *
npf_configure_autodiff(PyObject *module, PyObject *args)
{
    PyObject *rt, *vers, *plan, *mt, *lock, *ot, *stacks;
    if (!PyArg_ParseTuple(args, "O!O!OOOO!O!:configure_autodiff", &PyType_Type, &rt, &npf_TableType, &vers,
                          &plan, &mt, &lock, &PyType_Type, &ot, &PyDict_Type, &stacks))
        return NULL;
    Py_INCREF(stacks); Py_XSETREF(trace_stacks, stacks);
    if ((off_rec_nodes = slot_offset(rt, "nodes")) < 0 || (off_rec_roots = slot_offset(rt, "roots")) < 0 ||
            (off_op_vjp_uses = slot_offset(ot, "vjp_uses")) < 0 ||
            (off_op_info = slot_offset(ot, "fast_info")) < 0)
        return NULL;
    Py_INCREF(ot); Py_XSETREF(op_type, ot);
    Py_INCREF(vers); Py_XSETREF(npf_versions, (TableObject *)vers);
    Py_INCREF(plan); Py_XSETREF(py_plan, plan);
    Py_INCREF(mt); Py_XSETREF(meta_type, mt);
    Py_XSETREF(npf_lock_acquire, PyObject_GetAttr(lock, npf_str_acquire));
    Py_XSETREF(npf_lock_release, PyObject_GetAttr(lock, npf_str_release));
    if (npf_lock_acquire == NULL || npf_lock_release == NULL)
        return NULL;
    Py_INCREF(rt); Py_XSETREF(recorder_type, rt);
    Py_RETURN_NONE;
}
