/* npflow's C accelerator: callables that stand in for Python ones, with no Python frame:
   Function (a public function as NumPy's are: callable, not a descriptor, pickled by name)
   and KindSplit (a kernel choosing NumPy's ufunc or the Python kernel by dtype kind). */
#include "fastpath.h"

/* ---- Function: a public function as NumPy's are (callable, not a descriptor) ----------------
   Stored as a class attribute it does not bind (``class T: array = np.array``); it forwards its
   calls by vectorcall to the Python function and keeps its attributes in its own __dict__.
   __reduce__ returns its __qualname__: pickled by name, as NumPy's functions. */
typedef struct {
    PyObject_HEAD
    PyObject *func;
    PyObject *dict;
    vectorcallfunc vectorcall;
} FunctionObject;

static PyObject *
function_call(FunctionObject *f, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return PyObject_Vectorcall(f->func, args, nargsf, kwnames);
}

static PyObject *
function_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *func;
    if (!PyArg_ParseTuple(args, "O:Function", &func))
        return NULL;
    if (!PyCallable_Check(func)) {
        PyErr_SetString(PyExc_TypeError, "Function(f): f must be callable");
        return NULL;
    }
    FunctionObject *f = (FunctionObject *)type->tp_alloc(type, 0);
    if (f == NULL)
        return NULL;
    f->func = Py_NewRef(func);
    f->dict = NULL;
    f->vectorcall = (vectorcallfunc)function_call;
    return (PyObject *)f;
}

static int
function_traverse(FunctionObject *f, visitproc visit, void *arg)
{
    Py_VISIT(f->func);
    Py_VISIT(f->dict);
    return 0;
}

static int
function_clear(FunctionObject *f)
{
    Py_CLEAR(f->func);
    Py_CLEAR(f->dict);
    return 0;
}

static void
function_dealloc(FunctionObject *f)
{
    PyObject_GC_UnTrack(f);
    function_clear(f);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyObject *
function_repr(FunctionObject *f)
{
    return PyObject_Repr(f->func);
}

static PyObject *
function_reduce(PyObject *f, PyObject *Py_UNUSED(ignored))
{
    return PyObject_GetAttrString(f, "__qualname__");
}

static PyMethodDef function_methods[] = {
    {"__reduce__", (PyCFunction)function_reduce, METH_NOARGS, "pickled by name"},
    {NULL}
};

static PyMemberDef function_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(FunctionObject, func), READONLY, "the Python function"},
    {NULL}
};

static PyGetSetDef function_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict},
    {NULL}
};

PyTypeObject npf_FunctionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.Function",
    .tp_basicsize = sizeof(FunctionObject),
    .tp_dealloc = (destructor)function_dealloc,
    .tp_vectorcall_offset = offsetof(FunctionObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)function_repr,
    .tp_getattro = PyObject_GenericGetAttr,
    .tp_setattro = PyObject_GenericSetAttr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_traverse = (traverseproc)function_traverse,
    .tp_clear = (inquiry)function_clear,
    .tp_methods = function_methods,
    .tp_members = function_members,
    .tp_getset = function_getset,
    .tp_dictoffset = offsetof(FunctionObject, dict),
    .tp_new = function_new,
    .tp_doc = "Function(f): f as a public function: callable, not a descriptor, pickled by name.",
};

/* KindSplit(fast, general, kinds): a kernel that calls ``fast`` (NumPy's ufunc itself) when every
   positional argument is a NumPy array whose dtype kind is in ``kinds``, or a Python int/bool,
   and ``general`` (the Python kernel with the Array API's special cases) otherwise: kernels that
   differ from NumPy's for some dtypes only (tanh: complex; floor_divide: floating) keep NumPy's
   speed for the others, with no Python frame (ops/ufuncs.py KERNELS). */
typedef struct {
    PyObject_HEAD
    PyObject *fast, *general;
    char kinds[16];
    vectorcallfunc vectorcall;
} KindSplitObject;

static PyObject *
kindsplit_call(KindSplitObject *k, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    PyObject *f = n > 0 ? k->fast : k->general;
    for (Py_ssize_t i = 0; i < n && f == k->fast; i++) {
        PyObject *a = args[i];
        if (IS_NP(a)) {
            if (strchr(k->kinds, PyArray_DESCR((PyArrayObject *)a)->kind) == NULL)
                f = k->general;
        }
        else if (!PyLong_CheckExact(a) && !PyBool_Check(a))
            f = k->general;
    }
    return PyObject_Vectorcall(f, args, nargsf, kwnames);
}

static PyObject *
kindsplit_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *fast, *general;
    const char *kinds;
    if (!PyArg_ParseTuple(args, "OOs:KindSplit", &fast, &general, &kinds))
        return NULL;
    if (!PyCallable_Check(fast) || !PyCallable_Check(general) || strlen(kinds) >= 16) {
        PyErr_SetString(PyExc_TypeError, "KindSplit(fast, general, kinds): two callables and "
                                         "at most 15 dtype kinds");
        return NULL;
    }
    KindSplitObject *k = (KindSplitObject *)type->tp_alloc(type, 0);
    if (k == NULL)
        return NULL;
    k->fast = Py_NewRef(fast);
    k->general = Py_NewRef(general);
    strcpy(k->kinds, kinds);
    k->vectorcall = (vectorcallfunc)kindsplit_call;
    return (PyObject *)k;
}

static int
kindsplit_traverse(KindSplitObject *k, visitproc visit, void *arg)
{
    Py_VISIT(k->fast);
    Py_VISIT(k->general);
    return 0;
}

static void
kindsplit_dealloc(KindSplitObject *k)
{
    PyObject_GC_UnTrack(k);
    Py_CLEAR(k->fast);
    Py_CLEAR(k->general);
    Py_TYPE(k)->tp_free((PyObject *)k);
}

static PyMemberDef kindsplit_members[] = {
    {"fast", T_OBJECT, offsetof(KindSplitObject, fast), READONLY, "the kernel for the kinds given"},
    {"general", T_OBJECT, offsetof(KindSplitObject, general), READONLY, "the kernel for the rest"},
    {NULL}
};

PyTypeObject npf_KindSplitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.KindSplit",
    .tp_basicsize = sizeof(KindSplitObject),
    .tp_dealloc = (destructor)kindsplit_dealloc,
    .tp_vectorcall_offset = offsetof(KindSplitObject, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_traverse = (traverseproc)kindsplit_traverse,
    .tp_members = kindsplit_members,
    .tp_new = kindsplit_new,
    .tp_doc = "KindSplit(fast, general, kinds): fast(*args) where every argument is a NumPy array "
              "of those dtype kinds (or a Python int), else general(*args).",
};
