/* npflow's optional C accelerator: the dispatch fast path in C.
 *
 * It defines two base types:
 *   ArrayBase  the storage (_data, _device) and the operator slots of npflow.ndarray;
 *   UfuncBase  the call of npflow.ufunc objects.
 * Their fast path is exactly dispatch.apply1/apply2's: no recorder (tape)
 * active, operands that are npflow arrays on the CPU or Python scalars, a
 * kernel call that succeeds. Everything else calls the Python functions
 * (dispatch.apply1/apply2, ufunc._call), which hold all the semantics: this
 * file decides nothing they do not.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *data;
    PyObject *device;
    PyObject *ad;          /* autodiff: {trace: entry} while traces track the array, else NULL */
    PyObject *weakreflist;
} ArrayObject;

typedef struct {
    PyObject_HEAD
    PyObject *op;
    PyObject *kernel;
    int nin;
} UfuncObject;

#define DATA(o) (((ArrayObject *)(o))->data)
#define DEVICE(o) (((ArrayObject *)(o))->device)

enum { B_ADD, B_SUB, B_MUL, B_TRUEDIV, B_FLOORDIV, B_MOD, B_POW, B_MATMUL,
       B_AND, B_OR, B_XOR, B_LSHIFT, B_RSHIFT, NBINARY };
static const char *binary_names[NBINARY] = {
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
    "and", "or", "xor", "lshift", "rshift"};
enum { U_NEG, U_POS, U_ABS, U_INVERT, NUNARY };
static const char *unary_names[NUNARY] = {"neg", "pos", "abs", "invert"};
/* indexed by Py_LT, Py_LE, Py_EQ, Py_NE, Py_GT, Py_GE */
static const char *compare_names[6] = {"lt", "le", "eq", "ne", "gt", "ge"};

static PyObject *binary_op[NBINARY], *binary_kernel[NBINARY];
static PyObject *unary_op[NUNARY], *unary_kernel[NUNARY];
static PyObject *compare_op[6], *compare_kernel[6];

static PyTypeObject *array_type = NULL;   /* npflow.ndarray */
static PyTypeObject *np_ndarray = NULL;   /* numpy.ndarray */
static PyObject *cpu_device = NULL;
static PyObject *recorders = NULL;        /* dispatch.recorders (a list) */
static PyObject *tracing = NULL;          /* dispatch.tracing: an entry per active trace, any thread */
static PyObject *trace_state = NULL;      /* dispatch.trace_state: .stack, this thread's traces */
static PyObject *str_stack = NULL;
static PyObject *py_apply1 = NULL, *py_apply2 = NULL, *py_wrap = NULL, *py_traced = NULL;
static PyObject *str_call = NULL;

/* Temporary elision, as NumPy's own operators do: in ``x*y + x`` the product
 * is a temporary that nothing else can see, so ``+`` may write into its
 * buffer instead of allocating. Safe only when (1) the wrapper and its data
 * each have one reference, the interpreter's stack; (2) the data owns its
 * memory (no view); (3) the operator was reached from a BINARY_OP bytecode,
 * not from C code that may hold a borrowed reference; (4) the result has the
 * temporary's dtype and shape (casting="no" and NumPy's own out= checks; any
 * failure falls back to a fresh result). Only for large arrays, as NumPy. */
#define ELIDE_MIN_BYTES (256 * 1024)
static int binary_op_opcode = -1;
static PyObject *str_nbytes = NULL, *str_base = NULL, *elide_kwnames = NULL, *str_no = NULL;

static int
called_from_binary_op(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    if (binary_op_opcode < 0)
        return 0;
    PyFrameObject *f = PyEval_GetFrame();   /* borrowed */
    if (f == NULL)
        return 0;
    int lasti = PyFrame_GetLasti(f);
    PyCodeObject *co = PyFrame_GetCode(f);
    PyObject *code = PyCode_GetCode(co);
    Py_DECREF(co);
    if (code == NULL) {
        PyErr_Clear();
        return 0;
    }
    int ok = lasti >= 0 && lasti < PyBytes_GET_SIZE(code) &&
             (unsigned char)PyBytes_AS_STRING(code)[lasti] == binary_op_opcode;
    Py_DECREF(code);
    return ok;
#else
    return 0;
#endif
}

/* The data of ``t`` if ``t`` is a temporary whose buffer may hold the result, else NULL. */
static PyObject *
elidable(PyObject *t)
{
    if (Py_TYPE(t) != array_type || Py_REFCNT(t) != 1)
        return NULL;
    PyObject *d = DATA(t);
    if (Py_TYPE(d) != np_ndarray || Py_REFCNT(d) != 1)
        return NULL;
    PyObject *nb = PyObject_GetAttr(d, str_nbytes);
    if (nb == NULL) {
        PyErr_Clear();
        return NULL;
    }
    long n = PyLong_AsLong(nb);
    Py_DECREF(nb);
    if (n < ELIDE_MIN_BYTES)
        return NULL;
    PyObject *base = PyObject_GetAttr(d, str_base);
    if (base == NULL) {
        PyErr_Clear();
        return NULL;
    }
    Py_DECREF(base);
    if (base != Py_None || !called_from_binary_op())
        return NULL;
    return d;
}

/* 1: ``kernel(x, y)`` was written into the temporary ``t`` (*out = t); 0: not done. */
static int
try_elide(PyObject *kernel, PyObject *t, PyObject *x, PyObject *y, PyObject **out)
{
    PyObject *d = elidable(t);
    if (d == NULL)
        return 0;
    PyObject *args[4] = {x, y, d, str_no};
    PyObject *r = PyObject_Vectorcall(kernel, args, 2, elide_kwnames);
    if (r == NULL) {
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(r);
    Py_INCREF(t);
    *out = t;
    return 1;
}

static inline int
is_py_scalar(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    return t == &PyFloat_Type || t == &PyLong_Type || t == &PyComplex_Type || t == &PyBool_Type;
}

/* 0: not on the fast path (observers present); 1: fast; 2: fast, then hand the result
   to this thread's autodiff traces (dispatch.traced). */
static inline int
fast_mode(void)
{
    if (array_type == NULL || PyList_GET_SIZE(recorders) != 0)
        return 0;
    if (PyList_GET_SIZE(tracing) == 0)
        return 1;
    PyObject *stack = PyObject_GetAttr(trace_state, str_stack);   /* this thread's traces */
    if (stack == NULL) {
        PyErr_Clear();
        return 0;
    }
    int idle = PyList_Check(stack) && PyList_GET_SIZE(stack) == 0;
    Py_DECREF(stack);
    return idle ? 1 : 2;
}

/* The traced result: dispatch.traced(op, operands, result) (steals result). */
static PyObject *
hand_to_traces(PyObject *op, PyObject *result, PyObject *a, PyObject *b)
{
    if (result == NULL)
        return NULL;
    PyObject *operands = b == NULL ? PyTuple_Pack(1, a) : PyTuple_Pack(2, a, b);
    if (operands == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    PyObject *args[3] = {op, operands, result};
    PyObject *r = PyObject_Vectorcall(py_traced, args, 3, NULL);
    Py_DECREF(operands);
    Py_DECREF(result);
    return r;
}

/* Wrap a kernel result (new reference, stolen) as an npflow array on dev. */
static PyObject *
wrap_result(PyObject *r, PyObject *dev)
{
    if (Py_TYPE(r) != np_ndarray) {   /* NumPy scalars, tuples: the Python wrap */
        PyObject *args[2] = {r, dev};
        PyObject *w = PyObject_Vectorcall(py_wrap, args, 2, NULL);
        Py_DECREF(r);
        return w;
    }
    ArrayObject *o = (ArrayObject *)array_type->tp_alloc(array_type, 0);
    if (o == NULL) {
        Py_DECREF(r);
        return NULL;
    }
    o->data = r;
    Py_INCREF(dev);
    o->device = dev;
    return (PyObject *)o;
}

/* 1: handled (*out is the result); 0: not on the fast path, nothing done. */
static int
try_fast2(PyObject *op, PyObject *kernel, PyObject *a, PyObject *b, PyObject **out, int elide)
{
    PyObject *x, *y, *dev;
    int mode = fast_mode();
    if (mode == 0)
        return 0;
    if (Py_TYPE(a) == array_type) {
        dev = DEVICE(a);
        x = DATA(a);
        if (Py_TYPE(b) == array_type) {
            if (DEVICE(b) != dev)
                return 0;
            y = DATA(b);
        }
        else if (is_py_scalar(b))
            y = b;
        else
            return 0;
    }
    else if (Py_TYPE(b) == array_type && is_py_scalar(a)) {
        dev = DEVICE(b);
        x = a;
        y = DATA(b);
    }
    else
        return 0;
    if (dev != cpu_device)
        return 0;
    if (mode == 1 && elide &&
            (try_elide(kernel, a, x, y, out) || (elide == 2 && try_elide(kernel, b, x, y, out))))
        return 1;
    PyObject *args[2] = {x, y};
    PyObject *r = PyObject_Vectorcall(kernel, args, 2, NULL);
    if (r == NULL) {      /* the Python path runs it again and raises, annotated */
        PyErr_Clear();
        return 0;
    }
    *out = wrap_result(r, dev);
    if (mode == 2)
        *out = hand_to_traces(op, *out, a, b);
    return 1;
}

static int
try_fast1(PyObject *op, PyObject *kernel, PyObject *a, PyObject **out)
{
    int mode;
    if (Py_TYPE(a) != array_type || DEVICE(a) != cpu_device || (mode = fast_mode()) == 0)
        return 0;
    PyObject *x = DATA(a);
    PyObject *r = PyObject_Vectorcall(kernel, &x, 1, NULL);
    if (r == NULL) {
        PyErr_Clear();
        return 0;
    }
    *out = wrap_result(r, DEVICE(a));
    if (mode == 2)
        *out = hand_to_traces(op, *out, a, NULL);
    return 1;
}

static PyObject *
binary(int slot, PyObject *a, PyObject *b)
{
    PyObject *r;
    if (binary_op[slot] == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    /* the left operand may be elided for every operator, the right one where the
       operation is commutative (NumPy's rule) */
    int commutative = slot == B_ADD || slot == B_MUL || slot == B_AND || slot == B_OR || slot == B_XOR;
    if (try_fast2(binary_op[slot], binary_kernel[slot], a, b, &r, commutative ? 2 : 1))
        return r;
    PyObject *args[3] = {binary_op[slot], a, b};
    return PyObject_Vectorcall(py_apply2, args, 3, NULL);
}

static PyObject *
unary(int slot, PyObject *a)
{
    PyObject *r;
    if (unary_op[slot] == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    if (try_fast1(unary_op[slot], unary_kernel[slot], a, &r))
        return r;
    PyObject *args[2] = {unary_op[slot], a};
    return PyObject_Vectorcall(py_apply1, args, 2, NULL);
}

#define BINARY_SLOT(fname, slot) \
    static PyObject *fname(PyObject *a, PyObject *b) { return binary(slot, a, b); }
BINARY_SLOT(nb_add, B_ADD)
BINARY_SLOT(nb_sub, B_SUB)
BINARY_SLOT(nb_mul, B_MUL)
BINARY_SLOT(nb_truediv, B_TRUEDIV)
BINARY_SLOT(nb_floordiv, B_FLOORDIV)
BINARY_SLOT(nb_mod, B_MOD)
BINARY_SLOT(nb_matmul, B_MATMUL)
BINARY_SLOT(nb_and, B_AND)
BINARY_SLOT(nb_or, B_OR)
BINARY_SLOT(nb_xor, B_XOR)
BINARY_SLOT(nb_lshift, B_LSHIFT)
BINARY_SLOT(nb_rshift, B_RSHIFT)

static PyObject *
nb_pow(PyObject *a, PyObject *b, PyObject *mod)
{
    if (mod != Py_None)
        Py_RETURN_NOTIMPLEMENTED;
    return binary(B_POW, a, b);
}

#define UNARY_SLOT(fname, slot) \
    static PyObject *fname(PyObject *a) { return unary(slot, a); }
UNARY_SLOT(nb_neg, U_NEG)
UNARY_SLOT(nb_pos, U_POS)
UNARY_SLOT(nb_abs, U_ABS)
UNARY_SLOT(nb_invert, U_INVERT)

static PyObject *
richcompare(PyObject *self, PyObject *other, int opid)
{
    PyObject *r;
    if (compare_op[opid] == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    if (try_fast2(compare_op[opid], compare_kernel[opid], self, other, &r, 0))
        return r;
    PyObject *args[3] = {compare_op[opid], self, other};
    return PyObject_Vectorcall(py_apply2, args, 3, NULL);
}

static PyNumberMethods array_as_number = {
    .nb_add = nb_add, .nb_subtract = nb_sub, .nb_multiply = nb_mul,
    .nb_true_divide = nb_truediv, .nb_floor_divide = nb_floordiv, .nb_remainder = nb_mod,
    .nb_power = nb_pow, .nb_matrix_multiply = nb_matmul, .nb_and = nb_and, .nb_or = nb_or,
    .nb_xor = nb_xor, .nb_lshift = nb_lshift, .nb_rshift = nb_rshift,
    .nb_negative = nb_neg, .nb_positive = nb_pos, .nb_absolute = nb_abs, .nb_invert = nb_invert,
};

static int
array_traverse(ArrayObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->data);
    Py_VISIT(self->device);
    Py_VISIT(self->ad);    /* tape nodes can refer back to the arrays they saved */
    return 0;
}

static int
array_clear(ArrayObject *self)
{
    Py_CLEAR(self->ad);
    return 0;
}

static void
array_dealloc(ArrayObject *self)
{
    /* Heap subclasses (npflow.ndarray) reach here through subtype_dealloc,
       which untracks the object and releases the type reference itself. */
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    Py_CLEAR(self->data);
    Py_CLEAR(self->device);
    Py_CLEAR(self->ad);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef array_members[] = {
    {"_data", T_OBJECT_EX, offsetof(ArrayObject, data), 0, "the backend array"},
    {"_device", T_OBJECT_EX, offsetof(ArrayObject, device), 0, "the npflow.Device"},
    {"_ad", T_OBJECT, offsetof(ArrayObject, ad), 0, "autodiff entries, or None"},
    {NULL}
};

static PyTypeObject ArrayBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.ArrayBase",
    .tp_basicsize = sizeof(ArrayObject),
    .tp_dealloc = (destructor)array_dealloc,
    .tp_as_number = &array_as_number,
    .tp_richcompare = richcompare,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)array_traverse,
    .tp_clear = (inquiry)array_clear,
    .tp_weaklistoffset = offsetof(ArrayObject, weakreflist),
    .tp_members = array_members,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Storage and operators of npflow.ndarray (C fast path).",
};

/* ---- ufunc calls ------------------------------------------------------ */

static PyObject *
ufunc_call(UfuncObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *r;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if ((kwargs == NULL || PyDict_GET_SIZE(kwargs) == 0) && n == self->nin && self->kernel != NULL) {
        if (n == 1 && try_fast1(self->op, self->kernel, PyTuple_GET_ITEM(args, 0), &r))
            return r;
        if (n == 2 && try_fast2(self->op, self->kernel, PyTuple_GET_ITEM(args, 0), PyTuple_GET_ITEM(args, 1),
                                &r, 0))
            return r;
    }
    PyObject *general = PyObject_GetAttr((PyObject *)self, str_call);
    if (general == NULL)
        return NULL;
    r = PyObject_Call(general, args, kwargs);
    Py_DECREF(general);
    return r;
}

static void
ufunc_dealloc(UfuncObject *self)
{
    Py_CLEAR(self->op);
    Py_CLEAR(self->kernel);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef ufunc_members[] = {
    {"_op", T_OBJECT, offsetof(UfuncObject, op), 0, "the registered op"},
    {"_kernel", T_OBJECT, offsetof(UfuncObject, kernel), 0, "the op's NumPy kernel"},
    {"nin", T_INT, offsetof(UfuncObject, nin), 0, "number of inputs"},
    {NULL}
};

static PyTypeObject UfuncBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.UfuncBase",
    .tp_basicsize = sizeof(UfuncObject),
    .tp_dealloc = (destructor)ufunc_dealloc,
    .tp_call = (ternaryfunc)ufunc_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_members = ufunc_members,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Call of npflow.ufunc objects (C fast path).",
};

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
    if (!PyType_IsSubtype((PyTypeObject *)atype, &ArrayBaseType)) {
        PyErr_SetString(PyExc_TypeError, "_fastpath.configure: the array type must derive from ArrayBase");
        return NULL;
    }
    if (fill_table(bin, binary_names, NBINARY, binary_op, binary_kernel) < 0 ||
        fill_table(un, unary_names, NUNARY, unary_op, unary_kernel) < 0 ||
        fill_table(cmp, compare_names, 6, compare_op, compare_kernel) < 0)
        return NULL;
    Py_INCREF(cpu); Py_XSETREF(cpu_device, cpu);
    Py_INCREF(recs); Py_XSETREF(recorders, recs);
    Py_INCREF(trc); Py_XSETREF(tracing, trc);
    Py_INCREF(tstate); Py_XSETREF(trace_state, tstate);
    Py_INCREF(nptype); Py_XSETREF(np_ndarray, (PyTypeObject *)nptype);
    Py_INCREF(a1); Py_XSETREF(py_apply1, a1);
    Py_INCREF(a2); Py_XSETREF(py_apply2, a2);
    Py_INCREF(w); Py_XSETREF(py_wrap, w);
    Py_INCREF(tr); Py_XSETREF(py_traced, tr);
    Py_INCREF(atype); Py_XSETREF(array_type, (PyTypeObject *)atype);   /* last: enables the fast path */
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

static PyMethodDef module_methods[] = {
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
    if (PyType_Ready(&ArrayBaseType) < 0 || PyType_Ready(&UfuncBaseType) < 0)
        return NULL;
    str_call = PyUnicode_InternFromString("_call");
    str_nbytes = PyUnicode_InternFromString("nbytes");
    str_base = PyUnicode_InternFromString("base");
    str_no = PyUnicode_InternFromString("no");
    str_stack = PyUnicode_InternFromString("stack");
    elide_kwnames = Py_BuildValue("(ss)", "out", "casting");
    if (str_call == NULL || str_nbytes == NULL || str_base == NULL || str_no == NULL || elide_kwnames == NULL)
        return NULL;
    PyObject *opcode_mod = PyImport_ImportModule("opcode");
    if (opcode_mod != NULL) {
        PyObject *opmap = PyObject_GetAttrString(opcode_mod, "opmap");
        PyObject *num = opmap ? PyDict_GetItemString(opmap, "BINARY_OP") : NULL;
        if (num != NULL)
            binary_op_opcode = (int)PyLong_AsLong(num);
        Py_XDECREF(opmap);
        Py_DECREF(opcode_mod);
    }
    PyErr_Clear();
    PyObject *m = PyModule_Create(&fastpath_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ArrayBaseType);
    Py_INCREF(&UfuncBaseType);
    if (PyModule_AddObject(m, "ArrayBase", (PyObject *)&ArrayBaseType) < 0 ||
        PyModule_AddObject(m, "UfuncBase", (PyObject *)&UfuncBaseType) < 0 ||
        PyModule_AddObject(m, "BINARY", make_tuple_of_names(binary_names, NBINARY)) < 0 ||
        PyModule_AddObject(m, "UNARY", make_tuple_of_names(unary_names, NUNARY)) < 0 ||
        PyModule_AddObject(m, "COMPARISONS", make_tuple_of_names(compare_names, 6)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
