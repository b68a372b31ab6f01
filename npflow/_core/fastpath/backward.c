/* npflow's C accelerator: the backward pass: Recorder.backward's loop and Partial, the
   elementwise rules g * d(ans, *operands). */
#include "fastpath.h"

/* Partial(d) is rules.defelementwise's rule ``lambda g, ans, *xs, **params: g * d(ans, *xs)``
   (a vjp; as a jvp, g is the tangent); Partial(None, 1) passes g on, Partial(None, -1) negates
   it. The same steps as the lambdas, without their Python frame. */
typedef struct {
    PyObject_HEAD
    PyObject *d;        /* d(ans, *operands) -> the partial derivative, or NULL */
    int sign;           /* (d NULL) 1: g, -1: -g */
    vectorcallfunc vectorcall;
} PartialObject;

static PyObject *
partial_call(PartialObject *p, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);   /* (g, ans, *operands); params ignored */
    if (nargs < 2) {
        PyErr_SetString(PyExc_TypeError, "an elementwise rule takes (g, ans, *operands)");
        return NULL;
    }
    if (p->d == NULL) {
        if (p->sign > 0)
            return Py_NewRef(args[0]);
        return PyNumber_Negative(args[0]);
    }
    PyObject *dv = PyObject_Vectorcall(p->d, args + 1, nargs - 1, NULL);
    if (dv == NULL)
        return NULL;
    PyObject *r = PyNumber_Multiply(args[0], dv);
    Py_DECREF(dv);
    return r;
}

static PyObject *
partial_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *d;
    int sign = 1;
    if (!PyArg_ParseTuple(args, "O|i:Partial", &d, &sign))
        return NULL;
    if (d != Py_None && !PyCallable_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "Partial(d): d must be callable or None");
        return NULL;
    }
    PartialObject *p = (PartialObject *)type->tp_alloc(type, 0);
    if (p == NULL)
        return NULL;
    p->d = d == Py_None ? NULL : Py_NewRef(d);
    p->sign = sign < 0 ? -1 : 1;
    p->vectorcall = (vectorcallfunc)partial_call;
    return (PyObject *)p;
}

static int
partial_traverse(PartialObject *p, visitproc visit, void *arg)
{
    Py_VISIT(p->d);
    return 0;
}

static void
partial_dealloc(PartialObject *p)
{
    PyObject_GC_UnTrack(p);
    Py_CLEAR(p->d);
    Py_TYPE(p)->tp_free((PyObject *)p);
}

static PyObject *
partial_repr(PartialObject *p)
{
    if (p->d == NULL)
        return PyUnicode_FromString(p->sign > 0 ? "<rule: g>" : "<rule: -g>");
    return PyUnicode_FromFormat("<rule: g * %R>", p->d);
}

static PyMemberDef partial_members[] = {
    {"d", T_OBJECT, offsetof(PartialObject, d), READONLY, "the partial derivative (None: +-1)"},
    {NULL}
};

PyTypeObject npf_PartialType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.Partial",
    .tp_basicsize = sizeof(PartialObject),
    .tp_dealloc = (destructor)partial_dealloc,
    .tp_vectorcall_offset = offsetof(PartialObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)partial_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_traverse = (traverseproc)partial_traverse,
    .tp_members = partial_members,
    .tp_new = partial_new,
    .tp_doc = "Partial(d): the rule g * d(ans, *operands); Partial(None, +-1): +-g.",
};

/* One operand's share of a node in the backward pass: ``rule(*callargs, **kw)``, fitted to the
   operand's meta ``m`` (shape, dtype), added into the cotangents of its ``parent`` entry
   (node, index, ...) in ``grads``. The caller holds parent and m. 0 done (or nothing to do),
   -1 error. */
static int
backward_step(PyObject *grads, PyObject *fit, PyObject *op, PyObject *rule, PyObject *parent,
              PyObject *m, PyObject *callargs, PyObject *kw)
{
    if (parent == Py_None || rule == Py_None)
        return 0;
    PyObject *ct = PyObject_Call(rule, callargs, kw);
    if (ct == NULL)
        return -1;
    if (ct == Py_None) {
        Py_DECREF(ct);
        return 0;
    }
    if (!PyTuple_Check(m) || PyTuple_GET_SIZE(m) != 2) {
        PyErr_SetString(PyExc_RuntimeError, "backward(): a malformed tape node");
        Py_DECREF(ct);
        return -1;
    }
    /* fit: un-broadcast, cast (unless it already fits) */
    ct = npf_fit_to(fit, ct, PyTuple_GET_ITEM(m, 0), PyTuple_GET_ITEM(m, 1), op, 0);
    if (ct == NULL)
        return -1;
    /* accumulate into the parent's cotangents */
    if (!PyTuple_Check(parent) || PyTuple_GET_SIZE(parent) < 2) {
        PyErr_SetString(PyExc_RuntimeError, "backward(): a malformed parent entry");
        Py_DECREF(ct);
        return -1;
    }
    PyObject *pnode = PyTuple_GET_ITEM(parent, 0);
    Py_ssize_t k = PyLong_AsSsize_t(PyTuple_GET_ITEM(parent, 1));
    PyObject *acc = k == -1 && PyErr_Occurred() ? NULL : PyDict_GetItemWithError(grads, pnode);
    Py_XINCREF(acc);   /* (held: the sum below may run Python code) */
    if (acc == NULL && !PyErr_Occurred()) {
        Py_ssize_t pn = Py_TYPE(pnode) == &npf_NodeType ? ((NodeObject *)pnode)->nout : 1;
        acc = PyList_New(pn > 0 ? pn : 0);
        for (Py_ssize_t q = 0; acc != NULL && q < pn; q++)
            PyList_SET_ITEM(acc, q, Py_NewRef(Py_None));
        if (acc != NULL && PyDict_SetItem(grads, pnode, acc) < 0)
            Py_CLEAR(acc);
    }
    if (acc == NULL || !PyList_Check(acc) || k < 0 || k >= PyList_GET_SIZE(acc)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "backward(): a malformed tape node");
        Py_XDECREF(acc);
        Py_DECREF(ct);
        return -1;
    }
    PyObject *old = Py_NewRef(PyList_GET_ITEM(acc, k));
    if (old != Py_None) {
        Py_SETREF(ct, PyNumber_Add(old, ct));
    }
    Py_DECREF(old);
    if (ct != NULL && k >= PyList_GET_SIZE(acc)) {
        PyErr_SetString(PyExc_RuntimeError, "backward(): a malformed tape node");
        Py_CLEAR(ct);
    }
    int status = ct == NULL ? -1 : 0;
    if (ct != NULL)
        PyList_SetItem(acc, k, ct);   /* steals ct */
    Py_DECREF(acc);
    return status;
}

/* The backward pass's loop (Recorder.backward): for each node, last recorded first, its
   cotangents from ``grads`` go through its vjp rules to its parents'. The common case (one
   output, a rule per operand, saved values unchanged) runs here; every other node is
   ``slow(node, cts)`` (Python), which also raises every error. */
PyObject *
npf_py_backward(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7 || !PyList_Check(args[0]) || !PyDict_Check(args[1]) || !PyDict_Check(args[2]) ||
            !PyDict_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "backward(nodes, grads, wanted, found, fit, slow, free)");
        return NULL;
    }
    PyObject *nodes = args[0], *grads = args[1], *wanted = args[2], *found = args[3];
    PyObject *fit = args[4], *slow = args[5];
    int free_saved = PyObject_IsTrue(args[6]);   /* release each node once its rules ran */
    if (free_saved < 0)
        return NULL;
    for (Py_ssize_t j = PyList_GET_SIZE(nodes) - 1; j >= 0; j--) {
        if (j >= PyList_GET_SIZE(nodes))
            continue;
        PyObject *nodeobj = PyList_GET_ITEM(nodes, j);
        if (Py_TYPE(nodeobj) != &npf_NodeType) {
            PyErr_SetString(PyExc_TypeError, "backward(): not a Node");
            return NULL;
        }
        NodeObject *node = (NodeObject *)nodeobj;
        /* held while the rules run (Python code, which may release the node or change it):
           op, params, ans, and a Python-made node's parents, saved, meta, checks as tuples */
        PyObject *held[7] = {NULL};
        Py_INCREF(node);
        PyObject *cts = PyDict_GetItemWithError(grads, nodeobj);
        if (cts == NULL) {
            Py_DECREF(node);
            if (PyErr_Occurred())
                return NULL;
            continue;
        }
        Py_INCREF(cts);
        if (PyDict_DelItem(grads, nodeobj) < 0)
            goto fail;
        int w = PyDict_Contains(wanted, nodeobj);
        if (w < 0 || (w && PyDict_SetItem(found, nodeobj, cts) < 0))
            goto fail;
        if (node->op == Py_None && node->custom == Py_None) {   /* a watched source */
            Py_DECREF(cts);
            Py_DECREF(node);
            continue;
        }
        /* the common case: an inline node not yet released (the C recorder's), or a
           Python-made one whose fields are lists or tuples; one output, no custom rule. A
           field Python code deleted is NULL: slow() raises Python's AttributeError. */
#define SEQ(o) ((o) != NULL && (PyList_Check(o) || PyTuple_Check(o)))
        int inl = node->n >= 0;
        int common = node->custom == Py_None && node->nout == 1 && PyList_Check(cts) &&
                     PyList_GET_SIZE(cts) == 1 && node->op != NULL && node->ans != NULL &&
                     node->params != NULL && PyDict_Check(node->params) &&
                     (inl ? !node->released : SEQ(node->checks) && SEQ(node->parents) &&
                      SEQ(node->saved) && SEQ(node->meta));
        if (common) {
            PyObject *f[7] = {node->op, node->params, node->ans,
                              node->parents, node->saved, node->meta, node->checks};
            for (int q = 0; q < 7; q++)
                if (q < 3 || !inl) {
                    held[q] = q < 3 ? Py_NewRef(f[q]) : PySequence_Tuple(f[q]);
                    if (held[q] == NULL)
                        goto fail;
                }
        }
        PyObject *op = held[0], *params = held[1], *ans = held[2];
        Py_ssize_t nops = !common ? 0 : inl ? node->n : PyTuple_GET_SIZE(held[3]);
        Py_ssize_t nchk = !common ? 0 : inl ? node->nchecks : PyTuple_GET_SIZE(held[6]);
        PyObject *vjp = NULL;
        for (Py_ssize_t c = 0; c < nchk && common; c++) {
            PyObject *v, *cnt;   /* (x, v, count): v.n still count? */
            if (inl) {
                PyObject **chk = NODE_CHECKS(node) + 3 * c;
                v = chk[1], cnt = chk[2];
            }
            else {
                PyObject *chk = PyTuple_GET_ITEM(held[6], c);
                if (!PyTuple_Check(chk) || PyTuple_GET_SIZE(chk) != 3) {
                    common = 0;
                    break;
                }
                v = PyTuple_GET_ITEM(chk, 1), cnt = PyTuple_GET_ITEM(chk, 2);
            }
            if (Py_TYPE(v) != &npf_VersionType || !PyLong_CheckExact(cnt)) {
                common = 0;
                break;
            }
            Py_ssize_t then = PyLong_AsSsize_t(cnt);
            if (then == -1 && PyErr_Occurred())
                goto fail;
            if (((VersionObject *)v)->n != then)
                common = 0;   /* overwritten: slow() raises */
        }
        if (common && !inl && (PyTuple_GET_SIZE(held[4]) != nops || PyTuple_GET_SIZE(held[5]) < nops))
            common = 0;
        if (common) {   /* without parameters, the rules themselves (no adapter frame) */
            vjp = PyObject_GetAttr(op, PyDict_GET_SIZE(params) ? npf_str_vjp : npf_str_vjp_plain);
            if (vjp == NULL)
                goto fail;
            if (!PyTuple_Check(vjp) || PyTuple_GET_SIZE(vjp) < nops)
                common = 0;
        }
        if (!common) {
            Py_XDECREF(vjp);
            PyObject *a[2] = {nodeobj, cts};
            PyObject *r = PyObject_Vectorcall(slow, a, 2, NULL);
            if (r == NULL)
                goto fail;
            Py_DECREF(r);
            if (free_saved)
                Py_XDECREF(npf_node_release(node, NULL));
            goto next;
        }
        PyObject *g = PyList_GET_ITEM(cts, 0);
        /* (an inline node's parents are gone if Python code released it meanwhile: NULL) */
#define NODE_ITEM(part, q, i) (inl ? part(node)[i] : PyTuple_GET_ITEM(held[q], i))
        PyObject *callargs = PyTuple_New(2 + nops);
        if (callargs == NULL) {
            Py_DECREF(vjp);
            goto fail;
        }
        Py_INCREF(g); PyTuple_SET_ITEM(callargs, 0, g);
        Py_INCREF(ans); PyTuple_SET_ITEM(callargs, 1, ans);
        for (Py_ssize_t i = 0; i < nops; i++)
            PyTuple_SET_ITEM(callargs, 2 + i, Py_NewRef(NODE_ITEM(NODE_SAVED, 4, i)));
        PyObject *kw = PyDict_GET_SIZE(params) ? params : NULL;
        int bad = 0;
        for (Py_ssize_t i = 0; i < nops && !bad; i++) {
            PyObject *parent = NODE_ITEM(NODE_PARENTS, 3, i), *m = NODE_ITEM(NODE_META, 5, i);
            if (parent == NULL || m == NULL) {
                PyErr_SetString(PyExc_RuntimeError, "backward(): a tape node was released while its rules ran");
                bad = 1;
                break;
            }
            Py_INCREF(parent);
            Py_INCREF(m);
            bad = backward_step(grads, fit, op, PyTuple_GET_ITEM(vjp, i), parent, m, callargs, kw) < 0;
            Py_DECREF(parent);
            Py_DECREF(m);
        }
        Py_DECREF(callargs);
        Py_DECREF(vjp);
        if (bad)
            goto fail;
        if (free_saved)
            Py_XDECREF(npf_node_release(node, NULL));
    next:
        for (int q = 0; q < 7; q++)
            Py_XDECREF(held[q]);
        Py_DECREF(cts);
        Py_DECREF(node);
        continue;
    fail:
        for (int q = 0; q < 7; q++)
            Py_XDECREF(held[q]);
        Py_DECREF(cts);
        Py_DECREF(node);
        return NULL;
    }
    Py_RETURN_NONE;
}
