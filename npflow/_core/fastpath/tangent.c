/* npflow's C accelerator: forward mode: Tangents.process's common case (a result's tangent from
   the jvp rules of its operands). */
#include "fastpath.h"

/* ---- forward mode: Tangents.process's common case ------------------------- */
/* The output tangent of ``op`` (one output ``result``) on the Tangents trace ``tr``: the sum of
   its per-operand jvp rules, run with no trace active (this is the only one), fitted to the
   result and set as its entry. 1 done (or nothing to do), 0 leave it to Python, -1 error. */
static int tangent_rules(PyObject *tr, PyObject *op, PyObject *operands, PyObject *params,
                         PyObject *result, PyObject *outer, PyObject **tangents);

int
npf_tangent_record(PyObject *tr, PyObject *op, PyObject *operands, PyObject *params, PyObject *result,
               PyObject *outer)
{
    Py_ssize_t n = PyTuple_GET_SIZE(operands), held = 0;
    PyObject *tangents[32];   /* each operand's tangent or NULL, held while the rules run */
    int any = 0, status = 0;
    if (n > 32 || npf_py_fit == NULL)
        return 0;
    for (; held < n; held++) {
        PyObject *e;
        int inexact, ok = operand_entry(PyTuple_GET_ITEM(operands, held), tr, &e, &inexact);
        tangents[held] = NULL;
        if (ok <= 0 || (e != NULL && !inexact)) {
            Py_XDECREF(e);
            status = ok < 0 ? -1 : 0;
            goto done;
        }
        if (e == NULL)
            continue;
        tangents[held] = Py_NewRef(PyTuple_GET_ITEM(e, 0));
        Py_DECREF(e);
        any = 1;
    }
    status = any ? tangent_rules(tr, op, operands, params, result, outer, tangents) : 1;
done:
    while (held > 0)
        Py_XDECREF(tangents[--held]);
    return status;
}

/* tangent_record's work once the operands' tangents are known */
static int
tangent_rules(PyObject *tr, PyObject *op, PyObject *operands, PyObject *params, PyObject *result,
              PyObject *outer, PyObject **tangents)
{
    Py_ssize_t n = PyTuple_GET_SIZE(operands);
    /* the general path's cases */
    PyObject *info = npf_op_info(op);
    if (info == NULL)
        return -1;
    int fixed = PyList_GET_ITEM(info, 2) == Py_True;
    Py_DECREF(info);
    PyObject *rparams, *jvp = NULL;
    int plain = fixed ? npf_plain_call(params, result, &rparams) : 0;
    if (plain <= 0)
        return plain;
    int simple = (jvp = PyObject_GetAttr(op, npf_str_jvp)) != NULL && PyTuple_Check(jvp) &&
                 PyTuple_GET_SIZE(jvp) >= n;
    for (Py_ssize_t i = 0; simple && i < n; i++)
        if (tangents[i] != NULL && PyTuple_GET_ITEM(jvp, i) == Py_None)
            simple = 0;   /* Python raises: not differentiable in that operand */
    if (!simple) {
        Py_XDECREF(jvp);
        Py_XDECREF(rparams);
        return PyErr_Occurred() ? -1 : 0;
    }
    if (rparams != NULL)
        params = rparams;
    /* run the rules with only the traces outside this one active: only(stack[:i]) (those are
       active already, so the hook and the GC hold need no change) */
    PyObject *saved_stack = PyObject_GetAttr(npf_trace_state, npf_str_stack);
    PyObject *empty = saved_stack ? (outer ? PyList_GetSlice(outer, 0, PY_SSIZE_T_MAX)
                                           : PyList_New(0)) : NULL;
    npf_stack_epoch++;
    if (empty == NULL || PyObject_SetAttr(npf_trace_state, npf_str_stack, empty) < 0) {
        Py_XDECREF(saved_stack); Py_XDECREF(empty); Py_DECREF(jvp); Py_XDECREF(rparams);
        return -1;
    }
    Py_DECREF(empty);
    int status = 1;
    PyObject *t_out = NULL;
    PyObject *kw = PyDict_GET_SIZE(params) ? params : NULL;
    for (Py_ssize_t i = 0; status > 0 && i < n; i++) {
        if (tangents[i] == NULL)
            continue;
        PyObject *callargs = PyTuple_New(2 + n);   /* (t, ans, *operands) */
        if (callargs == NULL) { status = -1; break; }
        Py_INCREF(tangents[i]); PyTuple_SET_ITEM(callargs, 0, tangents[i]);
        Py_INCREF(result); PyTuple_SET_ITEM(callargs, 1, result);
        for (Py_ssize_t j = 0; j < n; j++) {
            PyObject *x = PyTuple_GET_ITEM(operands, j);
            Py_INCREF(x);
            PyTuple_SET_ITEM(callargs, 2 + j, x);
        }
        PyObject *c = PyObject_Call(PyTuple_GET_ITEM(jvp, i), callargs, kw);
        Py_DECREF(callargs);
        if (c == NULL) { status = -1; break; }
        if (t_out == NULL)
            t_out = c;
        else {
            Py_SETREF(t_out, PyNumber_Add(t_out, c));
            Py_DECREF(c);
            if (t_out == NULL) { status = -1; break; }
        }
    }
    Py_DECREF(jvp);
    Py_XDECREF(rparams);
    PyObject *rd = status > 0 ? data_of(result) : NULL;
    int inexact = rd ? npf_is_inexact_data(rd) : status > 0 ? -1 : 0;
    if (inexact < 0)
        status = -1;
    int set = status > 0 && inexact && t_out != NULL && t_out != Py_None;
    if (set) {
        PyObject *shape, *dt;
        if ((rd = data_of(result)) != NULL && npf_data_shape_dtype(rd, &shape, &dt) == 0) {
            t_out = npf_fit_to(npf_py_fit, t_out, shape, dt, op, 1);
            Py_DECREF(shape); Py_DECREF(dt);
        }
        else
            Py_CLEAR(t_out);
        if (t_out == NULL)
            status = -1;
    }
    /* restore the trace stack, keeping any pending error */
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    npf_stack_epoch++;
    if (PyObject_SetAttr(npf_trace_state, npf_str_stack, saved_stack) < 0) {
        Py_XDECREF(et); Py_XDECREF(ev); Py_XDECREF(tb);
        status = -1;
    }
    else
        PyErr_Restore(et, ev, tb);
    Py_DECREF(saved_stack);
    if (status > 0 && set) {
        PyObject *roots = PyObject_GetAttr(tr, npf_str_roots);
        int locked = roots != NULL && PyList_Check(roots) ? npf_lock_take() : -1;
        if (locked >= 0 && npf_set_fresh_entry(result, tr, t_out, roots) < 0)
            status = -1;
        if (locked < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "Tangents.roots must be a list");
            status = -1;
        }
        status = lock_give(locked, status);
        Py_XDECREF(roots);
    }
    Py_XDECREF(t_out);
    return status;
}

PyObject *
npf_configure_forward(PyObject *module, PyObject *args)
{
    PyObject *tt, *fit, *from;
    if (!PyArg_ParseTuple(args, "OOO:configure_forward", &tt, &fit, &from))
        return NULL;
    Py_INCREF(from); Py_XSETREF(npf_py_trace_from, from);
    Py_INCREF(fit); Py_XSETREF(npf_py_fit, fit);
    Py_INCREF(tt); Py_XSETREF(npf_tangents_type, tt);
    Py_RETURN_NONE;
}
