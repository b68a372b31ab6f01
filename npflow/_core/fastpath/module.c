/* npflow's C accelerator: the module: its methods table, configure (the operator tables and
   dispatch's objects) and PyInit__fastpath (types, interned names). */
#define NPFLOW_FASTPATH_MODULE   /* this file imports NumPy's C API */
#include "fastpath.h"

static const char *binary_names[NBINARY] = {
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
    "and", "or", "xor", "lshift", "rshift"};
static const char *unary_names[NUNARY] = {"neg", "pos", "abs", "invert"};
/* indexed by Py_LT, Py_LE, Py_EQ, Py_NE, Py_GT, Py_GE */
static const char *compare_names[6] = {"lt", "le", "eq", "ne", "gt", "ge"};

/* ---- configuration ---------------------------------------------------- */

static int
fill_table(PyObject *ops, const char **names, int count, PyObject **op_out, PyObject **kernel_out)
{
    for (int i = 0; i < count; i++) {
        PyObject *op = PyDict_GetItemString(ops, names[i]);   /* borrowed */
        if (op == NULL) {
            PyErr_Format(PyExc_KeyError, "_fastpath.configure: no op for '%s'", names[i]);
            return -1;
        }
        PyObject *kernel = PyObject_GetAttrString(op, "np_kernel");
        if (kernel == NULL)
            return -1;
        Py_INCREF(op);
        Py_XSETREF(op_out[i], op);
        Py_XSETREF(kernel_out[i], kernel);
    }
    return 0;
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *atype, *cpu, *recs, *trc, *tstate, *nptype, *a1, *a2, *w, *tr, *bin, *un, *cmp;
    if (!PyArg_ParseTuple(args, "O!OO!O!OO!OOOOO!O!O!:configure", &PyType_Type, &atype, &cpu,
                          &PyList_Type, &recs, &PyList_Type, &trc, &tstate, &PyType_Type, &nptype,
                          &a1, &a2, &w, &tr, &PyDict_Type, &bin, &PyDict_Type, &un, &PyDict_Type, &cmp))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)atype, &npf_ArrayBaseType)) {
        PyErr_SetString(PyExc_TypeError, "_fastpath.configure: the array type must derive from ArrayBase");
        return NULL;
    }
    if (fill_table(bin, binary_names, NBINARY, npf_binary_op, npf_binary_kernel) < 0 ||
        fill_table(un, unary_names, NUNARY, npf_unary_op, npf_unary_kernel) < 0 ||
        fill_table(cmp, compare_names, 6, npf_compare_op, npf_compare_kernel) < 0)
        return NULL;
    Py_INCREF(cpu); Py_XSETREF(npf_cpu_device, cpu);
    Py_INCREF(recs); Py_XSETREF(npf_recorders, recs);
    Py_INCREF(trc); Py_XSETREF(npf_tracing, trc);
    Py_INCREF(tstate); Py_XSETREF(npf_trace_state, tstate);
    Py_INCREF(nptype); Py_XSETREF(npf_np_ndarray, (PyTypeObject *)nptype);
    Py_INCREF(a1); Py_XSETREF(npf_py_apply1, a1);
    Py_INCREF(a2); Py_XSETREF(npf_py_apply2, a2);
    Py_INCREF(w); Py_XSETREF(npf_py_wrap, w);
    Py_INCREF(tr); Py_XSETREF(npf_py_traced, tr);
    PyObject *numpy = PyImport_ImportModule("numpy");
    if (numpy == NULL)
        return NULL;
    Py_XSETREF(npf_np_generic, PyObject_GetAttrString(numpy, "generic"));
    Py_XSETREF(npf_np_asarray, PyObject_GetAttrString(numpy, "asarray"));
    Py_DECREF(numpy);
    if (npf_np_generic == NULL || npf_np_asarray == NULL || !PyType_Check(npf_np_generic))
        return NULL;
    Py_INCREF(atype); Py_XSETREF(npf_array_type, (PyTypeObject *)atype);   /* last: enables the fast path */
    Py_RETURN_NONE;
}

static PyObject *
make_tuple_of_names(const char **names, int count)
{
    PyObject *t = PyTuple_New(count);
    if (t == NULL)
        return NULL;
    for (int i = 0; i < count; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (s == NULL) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyObject *
scalar_array(PyObject *module, PyObject *g)
{
    if (!PyArray_IsScalar(g, Generic)) {
        PyErr_SetString(PyExc_TypeError, "scalar_array: a NumPy scalar is needed");
        return NULL;
    }
    return npf_scalar_array_of(g);
}

static PyMethodDef module_methods[] = {
    {"scalar_array", scalar_array, METH_O,
     "scalar_array(numpy_scalar): the 0-d array standing for it (dispatch.is_scalar)"},
    {"apply", (PyCFunction)(void (*)(void))npf_c_apply, METH_FASTCALL | METH_KEYWORDS,
     "apply(op, *operands, **params): dispatch.apply, its common case in C"},
    {"configure_apply", npf_configure_apply, METH_VARARGS,
     "configure_apply(dispatch._apply_py, devices.as_device)"},
    {"watch", (PyCFunction)(void (*)(void))npf_py_watch, METH_FASTCALL,
     "watch(rec, x): Recorder.watch's common case (False: not taken)"},
    {"release_nodes", npf_py_release_nodes, METH_O, "release_nodes(nodes): node.release() for each"},
    {"stack_changed", npf_py_stack_changed, METH_NOARGS,
     "stack_changed(): dispatch.trace_state.stack was assigned anew (drops the C side's cache)"},
    {"configure_forward", npf_configure_forward, METH_VARARGS,
     "configure_forward(Tangents, rules.fit, core.trace_from)"},
    {"trace", (PyCFunction)(void (*)(void))npf_py_trace, METH_FASTCALL,
     "trace(op, operands, params, result): this thread's traces take the result in C (False: not)"},
    {"configure_autodiff", npf_configure_autodiff, METH_VARARGS,
     "configure_autodiff(Recorder, dispatch.versions, core._plan, core.Meta, core._lock, registry.Op, "
     "dispatch.stacks)"},
    {"backward", (PyCFunction)(void (*)(void))npf_py_backward, METH_FASTCALL,
     "backward(nodes, grads, wanted, found, fit, slow): Recorder.backward's loop"},
    {"untrack", (PyCFunction)(void (*)(void))npf_py_untrack, METH_FASTCALL,
     "untrack(versions, roots): dispatch.untrack_root of each counter"},
    {"configure", configure, METH_VARARGS,
     "configure(ndarray, cpu, recorders, tracing, trace_state, numpy.ndarray, apply1, apply2, wrap, "
     "traced, binary, unary, compare)"},
    {NULL}
};

static struct PyModuleDef fastpath_module = {
    PyModuleDef_HEAD_INIT, "_fastpath", "npflow's dispatch fast path in C.", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__fastpath(void)
{
    import_array();
    if (PyType_Ready(&npf_ArrayBaseType) < 0 || PyType_Ready(&npf_UfuncBaseType) < 0 ||
        PyType_Ready(&npf_VersionType) < 0 || PyType_Ready(&npf_NodeType) < 0 || PyType_Ready(&npf_TableType) < 0 ||
        PyType_Ready(&npf_PartialType) < 0 || PyType_Ready(&npf_FunctionType) < 0 ||
        PyType_Ready(&npf_KindSplitType) < 0)
        return NULL;
    npf_str_nodes = PyUnicode_InternFromString("nodes");
    npf_str_roots = PyUnicode_InternFromString("roots");
    npf_str_released = PyUnicode_InternFromString("released");
    npf_str_dtype = PyUnicode_InternFromString("dtype");
    npf_str_kind = PyUnicode_InternFromString("kind");
    npf_str_shape = PyUnicode_InternFromString("shape");
    npf_str_differentiable = PyUnicode_InternFromString("differentiable");
    npf_str_vjp = PyUnicode_InternFromString("vjp");
    npf_str_nout = PyUnicode_InternFromString("nout");
    npf_str_inplace = PyUnicode_InternFromString("inplace");
    npf_str_where = PyUnicode_InternFromString("where");
    npf_str_vjp_uses = PyUnicode_InternFromString("vjp_uses");
    npf_str_acquire = PyUnicode_InternFromString("acquire");
    npf_str_release = PyUnicode_InternFromString("release");
    npf_str_out = PyUnicode_InternFromString("out");
    npf_str_vjp_plain = PyUnicode_InternFromString("vjp_plain");
    npf_str_jvp = PyUnicode_InternFromString("jvp");
    npf_str_name = PyUnicode_InternFromString("name");
    npf_str_np_kernel = PyUnicode_InternFromString("np_kernel");
    npf_str_wraps = PyUnicode_InternFromString("wraps");
    npf_str_device = PyUnicode_InternFromString("device");
    npf_str_dst = PyUnicode_InternFromString("dst");
    npf_inexact_dtypes = PyDict_New();
    npf_empty_params = PyDict_New();
    npf_kwnames_forward = Py_BuildValue("(s)", "forward");
    if (npf_str_release == NULL || npf_inexact_dtypes == NULL || npf_empty_params == NULL ||
            npf_kwnames_forward == NULL)
        return NULL;
    npf_str_call = PyUnicode_InternFromString("_call");
    npf_str_base = PyUnicode_InternFromString("base");
    npf_str_no = PyUnicode_InternFromString("no");
    npf_str_stack = PyUnicode_InternFromString("stack");
    npf_elide_kwnames = Py_BuildValue("(ss)", "out", "casting");
    if (npf_str_call == NULL || npf_str_base == NULL || npf_str_no == NULL || npf_elide_kwnames == NULL)
        return NULL;
    PyObject *opcode_mod = PyImport_ImportModule("opcode");
    if (opcode_mod != NULL) {
        PyObject *opmap = PyObject_GetAttrString(opcode_mod, "opmap");
        PyObject *num = opmap ? PyDict_GetItemString(opmap, "BINARY_OP") : NULL;
        if (num != NULL)
            npf_binary_op_opcode = (int)PyLong_AsLong(num);
        Py_XDECREF(opmap);
        Py_DECREF(opcode_mod);
    }
    PyErr_Clear();
    PyObject *m = PyModule_Create(&fastpath_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&npf_ArrayBaseType);
    Py_INCREF(&npf_UfuncBaseType);
    Py_INCREF(&npf_VersionType);
    Py_INCREF(&npf_NodeType);
    Py_INCREF(&npf_TableType);
    Py_INCREF(&npf_PartialType);
    Py_INCREF(&npf_FunctionType);
    Py_INCREF(&npf_KindSplitType);
    if (PyModule_AddObject(m, "KindSplit", (PyObject *)&npf_KindSplitType) < 0 ||
        PyModule_AddObject(m, "RootVersion", (PyObject *)&npf_VersionType) < 0 ||
        PyModule_AddObject(m, "Node", (PyObject *)&npf_NodeType) < 0 ||
        PyModule_AddObject(m, "VersionTable", (PyObject *)&npf_TableType) < 0 ||
        PyModule_AddObject(m, "Partial", (PyObject *)&npf_PartialType) < 0 ||
        PyModule_AddObject(m, "Function", (PyObject *)&npf_FunctionType) < 0 ||
        PyModule_AddObject(m, "ArrayBase", (PyObject *)&npf_ArrayBaseType) < 0 ||
        PyModule_AddObject(m, "UfuncBase", (PyObject *)&npf_UfuncBaseType) < 0 ||
        PyModule_AddObject(m, "BINARY", make_tuple_of_names(binary_names, NBINARY)) < 0 ||
        PyModule_AddObject(m, "UNARY", make_tuple_of_names(unary_names, NUNARY)) < 0 ||
        PyModule_AddObject(m, "COMPARISONS", make_tuple_of_names(compare_names, 6)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
