/* npflow's optional C accelerator: the common cases of dispatch and autodiff in C.
 *
 *   ArrayBase    npflow.ndarray's storage (_data, _device, autodiff entries), its operator
 *                slots and its shape/dtype/ndim/size/device attributes;
 *   UfuncBase    the call of npflow.ufunc objects;
 *   apply        dispatch.apply's common case;
 *   trace, watch, Node, RootVersion, VersionTable, backward
 *                the traces: a result recorded on tapes (Recorder.record_simple's common
 *                case) and given tangents (Tangents.process's), watch's common case,
 *                recorded nodes, the write counters and their registry, the backward loop;
 *   Partial      the elementwise rules g * d(ans, *operands).
 * Each takes only the cases it is sure of (CPU arrays of the exact types, plain parameters,
 * rules of the usual forms) and hands everything else to the Python functions, which hold
 * all the semantics and every error: this file decides nothing they do not. The pure-Python
 * build (NPFLOW_PURE_PYTHON=1) runs the same suite.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/arrayobject.h>

typedef struct {
    PyObject_HEAD
    PyObject *data;
    PyObject *device;
    PyObject *ad;          /* autodiff: {trace: entry} while traces track the array, else NULL */
    PyObject *weakreflist;
    /* The recorder's one entry of a fresh result, kept out of a dict (ad is NULL meanwhile):
       Python's ``_ad`` moves it into the dict {ad1_trace: ad1_entry} on first sight. */
    PyObject *ad1_trace, *ad1_entry;
} ArrayObject;

typedef struct {
    PyObject_HEAD
    PyObject *op;
    PyObject *kernel;
    int nin;
} UfuncObject;

#define DATA(o) (((ArrayObject *)(o))->data)
#define DEVICE(o) (((ArrayObject *)(o))->device)

/* A backend array that is exactly numpy.ndarray: its fields are read through NumPy's C API
   (no attribute lookup, no allocation); any other (CuPy) through its Python attributes. */
#define IS_NP(d) (Py_TYPE(d) == &PyArray_Type)
static PyObject *str_base, *str_shape, *str_dtype;   /* interned attribute names */

/* d.base: a new reference (None where the array owns its memory), NULL on error */
static PyObject *
data_base(PyObject *d)
{
    if (IS_NP(d)) {
        PyObject *b = PyArray_BASE((PyArrayObject *)d);
        b = b ? b : Py_None;
        Py_INCREF(b);
        return b;
    }
    return PyObject_GetAttr(d, str_base);
}

/* d.shape and d.dtype (new references), 0; -1 on error */
static int
data_shape_dtype(PyObject *d, PyObject **shape, PyObject **dtype)
{
    if (IS_NP(d)) {
        PyArrayObject *a = (PyArrayObject *)d;
        *shape = PyArray_IntTupleFromIntp(PyArray_NDIM(a), PyArray_DIMS(a));
        if (*shape == NULL)
            return -1;
        *dtype = (PyObject *)PyArray_DESCR(a);
        Py_INCREF(*dtype);
        return 0;
    }
    *shape = PyObject_GetAttr(d, str_shape);
    *dtype = *shape ? PyObject_GetAttr(d, str_dtype) : NULL;
    if (*dtype == NULL) {
        Py_CLEAR(*shape);
        return -1;
    }
    return 0;
}

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

/* Temporary elision, as NumPy's own operators do (numpy/_core/src/multiarray/temp_elide.c):
 * in ``x*y + x`` the product is a temporary that nothing else can see, so ``+`` may write into
 * its buffer instead of allocating. A reference count of 1 alone proves nothing: C code may
 * hold the only reference and still read the value afterwards (NumPy's object loops hold
 * each element of an object array so: ``o + 1`` would overwrite ``o[0]``). Safe only when
 * (1) the wrapper and its data each have one reference and the wrapper no autodiff entries;
 * (2) the data owns its memory, is writeable and of a number dtype (NumPy's conditions);
 * (3) the current Python frame is at a BINARY_OP instruction and the C call stack from here to
 *     the interpreter's frame evaluation is this module, then at most ELIDE_PY_FRAMES frames of
 *     CPython itself (PyNumber_Add and its helper): no other C code sits between the
 *     interpreter's value stack, which holds the one reference, and this operator (NumPy's check,
 *     narrowed: a CPython function that calls an operator on an object it holds, such as
 *     functools.partial(operator.add, t), is ruled out by the frame count);
 * (4) on Python 3.14+, where the interpreter may push borrowed references, also
 *     PyUnstable_Object_IsUniqueReferencedTemporary;
 * (5) the result has the temporary's dtype and shape (casting="no" and NumPy's own out= checks;
 *     any failure falls back to a fresh result). Only for large arrays, as NumPy: the stack
 *     walk costs microseconds. Where backtrace()/dladdr() are unavailable, never. */
#define ELIDE_MIN_BYTES (256 * 1024)
static int binary_op_opcode = -1;
static PyObject *elide_kwnames = NULL, *str_no = NULL;

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

#if defined(__GLIBC__) && PY_VERSION_HEX >= 0x030B0000
#include <execinfo.h>
#include <dlfcn.h>
#include <string.h>
#define ELIDE_STACK 24
#define ELIDE_PY_FRAMES 3
enum { IN_OTHER, IN_OWN, IN_PYTHON };
/* where the code of this module and of CPython was loaded, and the highest address seen in
   each (a shared object is mapped in one piece); return addresses already classified */
static struct { void *base, *end; } span[3];
static int stack_ok = 0;   /* 0: not set up, 1: ready, -1: cannot tell (never elide) */
#define PC_KEEP 64
static void *pc_eval[PC_KEEP], *pc_py[PC_KEEP];
static int n_eval = 0, n_py = 0;

static int
pc_known(void **pcs, int n, void *pc)
{
    for (int k = 0; k < n; k++)
        if (pcs[k] == pc)
            return 1;
    return 0;
}

/* IN_OWN, IN_PYTHON or IN_OTHER; -1 where dladdr cannot tell */
static int
pc_where(void *pc)
{
    for (int w = IN_OWN; w <= IN_PYTHON; w++)
        if (pc >= span[w].base && pc <= span[w].end)
            return w;
    Dl_info info;
    if (dladdr(pc, &info) == 0)
        return -1;
    for (int w = IN_OWN; w <= IN_PYTHON; w++)
        if (info.dli_fbase == span[w].base) {
            if (pc > span[w].end)
                span[w].end = pc;
            return w;
        }
    return IN_OTHER;
}

/* 1 if ``pc`` (in CPython) is in the interpreter's frame evaluation, 0 if not, -1 unknown */
static int
pc_is_eval(void *pc)
{
    if (pc_known(pc_eval, n_eval, pc))
        return 1;
    if (pc_known(pc_py, n_py, pc))
        return 0;
    Dl_info info;
    if (dladdr(pc, &info) == 0)
        return -1;
    int eval = info.dli_sname != NULL && strcmp(info.dli_sname, "_PyEval_EvalFrameDefault") == 0;
    if (eval && n_eval < PC_KEEP)
        pc_eval[n_eval++] = pc;
    else if (!eval && n_py < PC_KEEP)
        pc_py[n_py++] = pc;
    return eval;
}

static void elide_setup(void);

/* The C stack test of condition (3) above. */
static int
called_by_interpreter(void)
{
    void *pcs[ELIDE_STACK];
    if (stack_ok == 0)
        elide_setup();
    if (stack_ok < 0)
        return 0;
    int n = backtrace(pcs, ELIDE_STACK), i = 0, own = 0;
    /* this module's frames first (after at most two of a sanitizer's backtrace interceptor) */
    for (; i < n; i++) {
        int w = pc_where(pcs[i]);
        if (w == IN_OWN)
            own = 1;
        else if (own || i >= 2)
            break;
    }
    if (!own)
        return 0;
    for (int py = 0; i < n && py <= ELIDE_PY_FRAMES; i++, py++) {
        if (pc_where(pcs[i]) != IN_PYTHON)
            return 0;
        int e = pc_is_eval(pcs[i]);
        if (e != 0)
            return e > 0;
    }
    return 0;
}

static void
elide_setup(void)
{
    Dl_info own, py;
    void *warm[2];
    stack_ok = -1;
    if (dladdr((void *)&called_by_interpreter, &own) == 0 || dladdr((void *)&PyNumber_Add, &py) == 0 ||
            own.dli_fbase == py.dli_fbase || backtrace(warm, 2) <= 0)   /* (loads the unwinder) */
        return;
    span[IN_OWN].base = span[IN_OWN].end = own.dli_fbase;
    span[IN_PYTHON].base = span[IN_PYTHON].end = py.dli_fbase;
    stack_ok = 1;
}
#else
static int
called_by_interpreter(void)
{
    return 0;
}
#endif

/* The data of ``t`` if ``t`` is a temporary whose buffer may hold the result, else NULL. */
static PyObject *
elidable(PyObject *t)
{
    if (Py_TYPE(t) != array_type || Py_REFCNT(t) != 1)
        return NULL;
    ArrayObject *o = (ArrayObject *)t;
    PyObject *d = o->data;
    if (d == NULL || !IS_NP(d) || Py_REFCNT(d) != 1 || o->ad != NULL || o->ad1_trace != NULL)
        return NULL;
    PyArrayObject *a = (PyArrayObject *)d;
    if (PyArray_NBYTES(a) < ELIDE_MIN_BYTES || PyArray_BASE(a) != NULL ||
            !PyArray_CHKFLAGS(a, NPY_ARRAY_OWNDATA) || !PyArray_ISWRITEABLE(a) ||
            !PyArray_ISNUMBER(a) || !called_from_binary_op())
        return NULL;
#if PY_VERSION_HEX >= 0x030E00B1
    if (!PyUnstable_Object_IsUniqueReferencedTemporary(t))
        return NULL;
#endif
    if (!called_by_interpreter())
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
    Py_INCREF(d);   /* (held while the kernel runs) */
    PyObject *r = PyObject_Vectorcall(kernel, args, 2, elide_kwnames);
    Py_DECREF(d);
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

/* This thread's traces, dispatch.trace_state.stack (borrowed), or NULL with an error. The
   thread-local lookup is cached for the last thread that asked; Python code that assigns
   trace_state.stack anew (core.only) calls stack_changed(), which drops the cache. */
static PyObject *stack_cache = NULL;
static uint64_t stack_cache_thread = 0;
static unsigned long stack_epoch = 1, stack_cache_epoch = 0;

static PyObject *
this_stack(void)
{
    uint64_t thread = PyThreadState_GetID(PyThreadState_Get());
    if (stack_cache != NULL && thread == stack_cache_thread && stack_cache_epoch == stack_epoch)
        return stack_cache;
    PyObject *stack = PyObject_GetAttr(trace_state, str_stack);
    if (stack == NULL)
        return NULL;
    Py_XSETREF(stack_cache, stack);
    stack_cache_thread = thread;
    stack_cache_epoch = stack_epoch;
    return stack;
}

static PyObject *
py_stack_changed(PyObject *module, PyObject *unused)
{
    stack_epoch++;
    Py_RETURN_NONE;
}

/* 0: not on the fast path (observers present); 1: fast; 2: fast, then hand the result
   to this thread's autodiff traces (dispatch.traced); 3: as 2 if an operand is tracked, else
   as 1 (this thread has no traces, another has: an op on an array another thread's trace
   tracks is that trace's business, DESIGN invariant 9; see operands_mode). */
static inline int
fast_mode(void)
{
    if (array_type == NULL || PyList_GET_SIZE(recorders) != 0)
        return 0;
    if (PyList_GET_SIZE(tracing) == 0)
        return 1;
    PyObject *stack = this_stack();
    if (stack == NULL) {
        PyErr_Clear();
        return 0;
    }
    return PyList_Check(stack) && PyList_GET_SIZE(stack) == 0 ? 3 : 2;
}

/* Whether ``x`` is an npflow array carrying autodiff entries. */
static inline int
has_entries(PyObject *x)
{
    if (Py_TYPE(x) != array_type)
        return 0;
    ArrayObject *a = (ArrayObject *)x;
    return a->ad1_trace != NULL ||
           (a->ad != NULL && (!PyDict_Check(a->ad) || PyDict_GET_SIZE(a->ad) != 0));
}

/* fast_mode's 3 resolved for the operands ``xs[0:n]``: 2 if one carries entries, else 1. */
static inline int
operands_mode(int mode, PyObject *const *xs, Py_ssize_t n)
{
    if (mode != 3)
        return mode;
    for (Py_ssize_t i = 0; i < n; i++)
        if (has_entries(xs[i]))
            return 2;
    return 1;
}

static int trace_one(PyObject *op, PyObject *operands, PyObject *params, PyObject *result);
static PyObject *empty_params = NULL;

/* The traced result, this thread's traces given it in C or else by dispatch.traced(..., tried=True)
   (steals result). */
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
    int done = trace_one(op, operands, empty_params, result);
    if (done != 0) {
        Py_DECREF(operands);
        if (done < 0)
            Py_CLEAR(result);
        return result;
    }
    PyObject *args[5] = {op, operands, result, empty_params, Py_True};   /* tried=True */
    PyObject *r = PyObject_Vectorcall(py_traced, args, 5, NULL);
    Py_DECREF(operands);
    Py_DECREF(result);
    return r;
}

/* Wrap a kernel result (new reference, stolen) as an npflow array on dev. */
static PyObject *np_generic = NULL, *np_asarray = NULL;   /* numpy.generic, numpy.asarray */

/* A NumPy scalar as the 0-d array that stands for it (dispatch.is_scalar): over the scalar's own
   (immutable, so read-only) memory, with the scalar as its base, which marks it exactly. */
static PyObject *
scalar_array_of(PyObject *g)
{
    Py_buffer view;
    PyArray_Descr *descr = PyArray_DescrFromScalar(g);
    if (descr == NULL)
        return NULL;
    if (PyObject_GetBuffer(g, &view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(descr);
        return NULL;
    }
    PyObject *a = PyArray_NewFromDescr(&PyArray_Type, descr, 0, NULL, NULL, view.buf, 0, NULL);
    PyBuffer_Release(&view);   /* (the memory lives as long as the scalar, which the array holds) */
    if (a == NULL)
        return NULL;
    Py_INCREF(g);
    if (PyArray_SetBaseObject((PyArrayObject *)a, g) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

/* Memory that stands for a NumPy scalar: a NumPy scalar, or the 0-d array made over one. */
static int
is_scalar_memory(PyObject *b)
{
    if (PyArray_IsScalar(b, Generic))
        return 1;
    if (!IS_NP(b) || PyArray_NDIM((PyArrayObject *)b) != 0)
        return 0;
    b = PyArray_BASE((PyArrayObject *)b);
    return b != NULL && PyArray_IsScalar(b, Generic);
}

static PyObject *
wrap_result(PyObject *r, PyObject *dev)
{
    if (np_generic != NULL && dev == cpu_device && PyObject_TypeCheck(r, (PyTypeObject *)np_generic)) {
        PyObject *a = scalar_array_of(r);   /* a NumPy scalar: 0-d (dispatch.is_scalar) */
        Py_DECREF(r);
        if (a == NULL)
            return NULL;
        r = a;
    }
    /* tuples, other backends' scalars, and views of a scalar with dimensions (NumPy's are views
       of a new array): the Python wrap */
    if (Py_TYPE(r) != np_ndarray || (PyArray_BASE((PyArrayObject *)r) != NULL
            && PyArray_NDIM((PyArrayObject *)r) != 0 && is_scalar_memory(PyArray_BASE((PyArrayObject *)r)))) {
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

/* The data of npflow array ``o`` where the fast paths may take it: a numpy.ndarray exactly
   (borrowed). NULL where it is unset (an object made by ArrayBase.__new__, or after
   ``del x._data``) or anything else Python code put there: the Python path decides. */
static inline PyObject *
np_data(PyObject *o)
{
    PyObject *d = DATA(o);
    return d != NULL && IS_NP(d) ? d : NULL;
}

/* 1: handled (*out is the result); 0: not on the fast path, nothing done. */
static int
try_fast2(PyObject *op, PyObject *kernel, PyObject *a, PyObject *b, PyObject **out, int elide)
{
    PyObject *x, *y, *dev, *ab[2] = {a, b};
    int mode = operands_mode(fast_mode(), ab, 2);
    if (mode == 0)
        return 0;
    if (Py_TYPE(a) == array_type) {
        dev = DEVICE(a);
        x = np_data(a);
        if (Py_TYPE(b) == array_type) {
            if (DEVICE(b) != dev)
                return 0;
            y = np_data(b);
        }
        else if (is_py_scalar(b))
            y = b;
        else
            return 0;
    }
    else if (Py_TYPE(b) == array_type && is_py_scalar(a)) {
        dev = DEVICE(b);
        x = a;
        y = np_data(b);
    }
    else
        return 0;
    if (dev != cpu_device || x == NULL || y == NULL)
        return 0;
    if (mode == 1 && elide &&
            (try_elide(kernel, a, x, y, out) || (elide == 2 && try_elide(kernel, b, x, y, out))))
        return 1;
    PyObject *args[2] = {x, y};
    Py_INCREF(x);   /* (held while the kernel runs: Python code it calls may drop a._data) */
    Py_INCREF(y);
    PyObject *r = PyObject_Vectorcall(kernel, args, 2, NULL);
    Py_DECREF(x);
    Py_DECREF(y);
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
    PyObject *x;
    if (Py_TYPE(a) != array_type || DEVICE(a) != cpu_device || (x = np_data(a)) == NULL ||
            (mode = fast_mode()) == 0)
        return 0;
    mode = operands_mode(mode, &a, 1);
    Py_INCREF(x);
    PyObject *r = PyObject_Vectorcall(kernel, &x, 1, NULL);
    Py_DECREF(x);
    if (r == NULL) {
        PyErr_Clear();
        return 0;
    }
    *out = wrap_result(r, cpu_device);
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
    Py_VISIT(self->ad1_trace);
    Py_VISIT(self->ad1_entry);
    return 0;
}

static int
array_clear(ArrayObject *self)
{
    Py_CLEAR(self->ad);
    Py_CLEAR(self->ad1_trace);
    Py_CLEAR(self->ad1_entry);
    return 0;
}

/* ``_ad``: the dict of entries (the single kept entry moved into it first), or None */
static PyObject *
array_get_ad(ArrayObject *self, void *unused)
{
    if (self->ad1_trace != NULL) {
        PyObject *ad = PyDict_New();
        if (ad == NULL || PyDict_SetItem(ad, self->ad1_trace, self->ad1_entry) < 0) {
            Py_XDECREF(ad);
            return NULL;
        }
        Py_CLEAR(self->ad1_trace);
        Py_CLEAR(self->ad1_entry);
        Py_XSETREF(self->ad, ad);
    }
    PyObject *r = self->ad ? self->ad : Py_None;
    Py_INCREF(r);
    return r;
}

static int
array_set_ad(ArrayObject *self, PyObject *value, void *unused)
{
    Py_CLEAR(self->ad1_trace);
    Py_CLEAR(self->ad1_entry);
    if (value == Py_None)   /* (kept as NULL: the getter gives None back) */
        value = NULL;
    Py_XINCREF(value);
    Py_XSETREF(self->ad, value);
    return 0;
}

/* x._data / x._device, borrowed; NULL with the AttributeError Python raises for an unset slot
   (an object made by ArrayBase.__new__, or after ``del x._data``) */
static PyObject *
unset_slot(PyObject *self, const char *name)
{
    PyErr_Format(PyExc_AttributeError, "'%.200s' object has no attribute '%s'",
                 Py_TYPE(self)->tp_name, name);
    return NULL;
}

static inline PyObject *
data_of(PyObject *x)
{
    PyObject *d = DATA(x);
    return d != NULL ? d : unset_slot(x, "_data");
}

/* npflow.ndarray's attributes read off its data: shape, dtype, ndim, size (ndarray.py defines
   them as properties where the accelerator is not built) */
static PyObject *
array_get_shape(ArrayObject *self, void *unused)
{
    PyObject *d = data_of((PyObject *)self);
    if (d != NULL && IS_NP(d))
        return PyArray_IntTupleFromIntp(PyArray_NDIM((PyArrayObject *)d), PyArray_DIMS((PyArrayObject *)d));
    return d ? PyObject_GetAttr(d, str_shape) : NULL;
}

static PyObject *
array_get_dtype(ArrayObject *self, void *unused)
{
    PyObject *d = data_of((PyObject *)self);
    if (d != NULL && IS_NP(d))
        return Py_NewRef((PyObject *)PyArray_DESCR((PyArrayObject *)d));
    return d ? PyObject_GetAttr(d, str_dtype) : NULL;
}

static PyObject *
array_get_ndim(ArrayObject *self, void *unused)
{
    PyObject *d = data_of((PyObject *)self);
    if (d != NULL && IS_NP(d))
        return PyLong_FromLong(PyArray_NDIM((PyArrayObject *)d));
    return d ? PyObject_GetAttrString(d, "ndim") : NULL;
}

static PyObject *
array_get_size(ArrayObject *self, void *unused)
{
    PyObject *d = data_of((PyObject *)self);
    if (d != NULL && IS_NP(d))
        return PyLong_FromSsize_t(PyArray_SIZE((PyArrayObject *)d));
    return d ? PyObject_GetAttrString(d, "size") : NULL;
}

static PyObject *
array_get_device(ArrayObject *self, void *unused)
{
    return self->device ? Py_NewRef(self->device) : unset_slot((PyObject *)self, "_device");
}

static PyGetSetDef array_getset[] = {
    {"_ad", (getter)array_get_ad, (setter)array_set_ad, "autodiff entries {trace: entry}, or None", NULL},
    {"shape", (getter)array_get_shape, NULL, "The array's dimensions.", NULL},
    {"dtype", (getter)array_get_dtype, NULL, "The type of the array's elements.", NULL},
    {"ndim", (getter)array_get_ndim, NULL, "The number of dimensions.", NULL},
    {"size", (getter)array_get_size, NULL, "The number of elements.", NULL},
    {"device", (getter)array_get_device, NULL, "The npflow.Device the array lives on.", NULL},
    {NULL}
};

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
    array_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef array_members[] = {
    {"_data", T_OBJECT_EX, offsetof(ArrayObject, data), 0, "the backend array"},
    {"_device", T_OBJECT_EX, offsetof(ArrayObject, device), 0, "the npflow.Device"},
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
    .tp_getset = array_getset,
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
    if ((kwargs == NULL || PyDict_GET_SIZE(kwargs) == 0) && n == self->nin && self->kernel != NULL &&
            self->op != NULL) {
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
    {"_op", T_OBJECT_EX, offsetof(UfuncObject, op), 0, "the registered op"},
    {"_kernel", T_OBJECT_EX, offsetof(UfuncObject, kernel), 0, "the op's NumPy kernel"},
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

/* ---- the tape recorder (autodiff) -------------------------------------- */
/* RootVersion and Node are autodiff/core.py's (and dispatch.py's) classes, as C
   types; record() is Recorder.record_simple: the common case of recording one op
   on a tape. Every decision it cannot take (subclasses, a plan not cached yet,
   ops with several outputs, views) returns 0 and leaves it to the Python code. */

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;       /* writes into the memory since it was registered */
    Py_ssize_t refs;    /* entries and saved values that depend on it */
    uintptr_t key;      /* id() of the array owning the memory (not the array: see dispatch.py) */
} VersionObject;

static PyTypeObject VersionType;

/* a new counter for the root at address ``key`` */
static VersionObject *
version_make(uintptr_t key)
{
    VersionObject *v = PyObject_New(VersionObject, &VersionType);
    if (v != NULL) {
        v->n = v->refs = 0;
        v->key = key;
    }
    return v;
}

/* id() as a key: NULL-free; 0 with an error on a bad one */
static uintptr_t
key_of(PyObject *o)
{
    void *p = PyLong_Check(o) ? PyLong_AsVoidPtr(o) : NULL;
    if (p == NULL && !PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "a root's key is a nonzero id(), not %R", o);
    return (uintptr_t)p;
}

static PyObject *
version_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *key;
    if (!PyArg_ParseTuple(args, "O:RootVersion", &key))
        return NULL;
    uintptr_t k = key_of(key);
    return k ? (PyObject *)version_make(k) : NULL;
}

static PyObject *
version_key(VersionObject *v, void *unused)
{
    return PyLong_FromVoidPtr((void *)v->key);
}

static PyMemberDef version_members[] = {
    {"n", T_PYSSIZET, offsetof(VersionObject, n), 0, "writes since registration"},
    {"refs", T_PYSSIZET, offsetof(VersionObject, refs), 0, "users of this counter"},
    {NULL}
};

static PyGetSetDef version_getset[] = {
    {"key", (getter)version_key, NULL, "id() of the memory's owner", NULL},
    {NULL}
};

static PyTypeObject VersionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.RootVersion",
    .tp_basicsize = sizeof(VersionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_members = version_members,
    .tp_getset = version_getset,
    .tp_new = version_new,
    .tp_doc = "The write counter of one memory root (see dispatch.versions).",
};

/* dispatch.versions as a hash table on the root's address, so that the recorder registers
   and finds a counter without making an int and hashing it. A mapping id(root) -> RootVersion
   to Python (get, [], del, in, len). Open addressing with linear probing; deletion shifts
   the run back, so there are no tombstones. */
typedef struct {
    PyObject_HEAD
    Py_ssize_t used, mask;   /* entries; capacity - 1 (a power of two) */
    int shift;               /* 64 - log2(capacity) */
    uintptr_t *keys;         /* 0: an empty slot */
    VersionObject **vals;    /* strong references */
} TableObject;

static PyTypeObject TableType;

static inline Py_ssize_t
table_home(TableObject *t, uintptr_t k)
{
    return (Py_ssize_t)(((uint64_t)k * 0x9E3779B97F4A7C15ULL) >> t->shift);
}

/* the slot of k, or of the empty slot where it would go */
static inline Py_ssize_t
table_slot(TableObject *t, uintptr_t k)
{
    Py_ssize_t i = table_home(t, k);
    while (t->keys[i] != 0 && t->keys[i] != k)
        i = (i + 1) & t->mask;
    return i;
}

/* borrowed; NULL (no error) where k has no counter */
static inline VersionObject *
table_get(TableObject *t, uintptr_t k)
{
    Py_ssize_t i = table_slot(t, k);
    return t->keys[i] ? t->vals[i] : NULL;
}

static int
table_resize(TableObject *t, Py_ssize_t cap)
{
    uintptr_t *keys = PyMem_Calloc(cap, sizeof(uintptr_t));
    VersionObject **vals = PyMem_Calloc(cap, sizeof(VersionObject *));
    if (keys == NULL || vals == NULL) {
        PyMem_Free(keys);
        PyMem_Free(vals);
        PyErr_NoMemory();
        return -1;
    }
    uintptr_t *old_keys = t->keys;
    VersionObject **old_vals = t->vals;
    Py_ssize_t old_cap = t->keys ? t->mask + 1 : 0;
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < cap)
        bits++;
    t->keys = keys;
    t->vals = vals;
    t->mask = cap - 1;
    t->shift = 64 - bits;
    for (Py_ssize_t i = 0; i < old_cap; i++)
        if (old_keys[i]) {
            Py_ssize_t j = table_slot(t, old_keys[i]);
            keys[j] = old_keys[i];
            vals[j] = old_vals[i];
        }
    PyMem_Free(old_keys);
    PyMem_Free(old_vals);
    return 0;
}

/* k -> v (a new reference is taken; an old counter at k is dropped): 0, or -1 with an error */
static int
table_put(TableObject *t, uintptr_t k, VersionObject *v)
{
    if ((t->used + 1) * 3 > (t->mask + 1) * 2 && table_resize(t, (t->mask + 1) * 2) < 0)
        return -1;
    Py_ssize_t i = table_slot(t, k);
    Py_INCREF(v);
    if (t->keys[i]) {
        Py_SETREF(t->vals[i], v);
        return 0;
    }
    t->keys[i] = k;
    t->vals[i] = v;
    t->used++;
    return 0;
}

/* drops k's counter: 1, or 0 where k has none */
static int
table_del(TableObject *t, uintptr_t k)
{
    Py_ssize_t i = table_slot(t, k);
    if (t->keys[i] == 0)
        return 0;
    VersionObject *v = t->vals[i];
    for (Py_ssize_t j = (i + 1) & t->mask; t->keys[j] != 0; j = (j + 1) & t->mask) {
        Py_ssize_t h = table_home(t, t->keys[j]);
        /* the entry at j may fill the hole at i unless its home lies cyclically in (i, j] */
        if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
            t->keys[i] = t->keys[j];
            t->vals[i] = t->vals[j];
            i = j;
        }
    }
    t->keys[i] = 0;
    t->vals[i] = NULL;
    t->used--;
    Py_DECREF(v);
    return 1;
}

static PyObject *
table_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    if ((kwargs != NULL && PyDict_GET_SIZE(kwargs)) || PyTuple_GET_SIZE(args)) {
        PyErr_SetString(PyExc_TypeError, "VersionTable() takes no arguments");
        return NULL;
    }
    TableObject *t = (TableObject *)type->tp_alloc(type, 0);
    if (t != NULL && table_resize(t, 64) < 0)
        Py_CLEAR(t);
    return (PyObject *)t;
}

static void
table_dealloc(TableObject *t)
{
    for (Py_ssize_t i = 0; t->keys && i <= t->mask; i++)
        Py_XDECREF(t->vals[i]);
    PyMem_Free(t->keys);
    PyMem_Free(t->vals);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t
table_length(TableObject *t)
{
    return t->used;
}

static PyObject *
table_subscript(TableObject *t, PyObject *key)
{
    uintptr_t k = key_of(key);
    VersionObject *v = k ? table_get(t, k) : NULL;
    if (v == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    Py_INCREF(v);
    return (PyObject *)v;
}

static int
table_ass_subscript(TableObject *t, PyObject *key, PyObject *value)
{
    uintptr_t k = key_of(key);
    if (k == 0)
        return -1;
    if (value == NULL) {
        if (table_del(t, k))
            return 0;
        PyErr_SetObject(PyExc_KeyError, key);
        return -1;
    }
    if (Py_TYPE(value) != &VersionType) {
        PyErr_Format(PyExc_TypeError, "VersionTable holds RootVersion counters, not %.100s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    return table_put(t, k, (VersionObject *)value);
}

static int
table_contains(TableObject *t, PyObject *key)
{
    uintptr_t k = PyLong_Check(key) ? key_of(key) : 0;
    if (k == 0) {
        PyErr_Clear();   /* (like a dict: a key that cannot be in it is not) */
        return 0;
    }
    return table_get(t, k) != NULL;
}

static PyObject *
table_getmethod(TableObject *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(key, default=None)");
        return NULL;
    }
    PyObject *r = NULL;
    if (table_contains(t, args[0]))
        r = (PyObject *)table_get(t, key_of(args[0]));
    if (r == NULL)
        r = nargs > 1 ? args[1] : Py_None;
    Py_INCREF(r);
    return r;
}

static PyMappingMethods table_as_mapping = {
    .mp_length = (lenfunc)table_length,
    .mp_subscript = (binaryfunc)table_subscript,
    .mp_ass_subscript = (objobjargproc)table_ass_subscript,
};

static PySequenceMethods table_as_sequence = {
    .sq_contains = (objobjproc)table_contains,
};

static PyMethodDef table_methods[] = {
    {"get", (PyCFunction)(void (*)(void))table_getmethod, METH_FASTCALL, "get(key, default=None)"},
    {NULL}
};

static PyTypeObject TableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.VersionTable",
    .tp_basicsize = sizeof(TableObject),
    .tp_dealloc = (destructor)table_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_as_mapping = &table_as_mapping,
    .tp_as_sequence = &table_as_sequence,
    .tp_methods = table_methods,
    .tp_new = table_new,
    .tp_doc = "dispatch.versions: id(root) -> RootVersion, hashed on the address.",
};

/* A Node made by Python (core.Node's constructor, watch) holds its sequences in the fields
   parents, saved, meta, checks. One made by the C recorder (``n`` >= 0) holds them inline, in
   one allocation: items = parents[n], saved[n], meta[n], then (x, v, count) for each of its
   ``nchecks`` saved values; Python reads them as tuples, built when asked (slow paths only). */
typedef struct {
    PyObject_VAR_HEAD              /* ob_size: the inline items */
    PyObject *op, *params, *parents, *saved, *ans, *meta, *checks, *custom;
    Py_ssize_t nout;
    Py_ssize_t n;                  /* inline: the operands; -1: the fields hold the sequences */
    Py_ssize_t nchecks;
    int released;                  /* inline: parents, saved and checks are gone */
    PyObject *items[1];
} NodeObject;

#define NFIELDS 8   /* op ... custom */

static PyTypeObject NodeType;

/* A Node from its fields (new references to each are taken). */
static PyObject *
node_make(PyObject *op, PyObject *params, PyObject *parents, PyObject *saved, PyObject *ans,
          PyObject *meta, PyObject *checks)
{
    NodeObject *n = PyObject_GC_NewVar(NodeObject, &NodeType, 0);
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
    NodeObject *n = PyObject_GC_NewVar(NodeObject, &NodeType, size);
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

#define NODE_PARENTS(nd) ((nd)->items)
#define NODE_SAVED(nd) ((nd)->items + (nd)->n)
#define NODE_META(nd) ((nd)->items + 2 * (nd)->n)
#define NODE_CHECKS(nd) ((nd)->items + 3 * (nd)->n)

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

static PyObject *
node_release(NodeObject *n, PyObject *unused)
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
static PyObject *
py_release_nodes(PyObject *module, PyObject *nodes)
{
    if (!PyList_Check(nodes)) {
        PyErr_SetString(PyExc_TypeError, "release_nodes(nodes: list)");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodes); i++) {
        PyObject *node = PyList_GET_ITEM(nodes, i);
        Py_INCREF(node);
        PyObject *r = Py_TYPE(node) == &NodeType ? node_release((NodeObject *)node, NULL)
                                                   : PyObject_CallMethod(node, "release", NULL);
        Py_DECREF(node);
        if (r == NULL)
            return NULL;
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
}

static PyMethodDef node_methods[] = {
    {"release", (PyCFunction)node_release, METH_NOARGS, "Free what the backward pass needed."},
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

static PyTypeObject NodeType = {
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

static PyTypeObject PartialType = {
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

/* set by configure_autodiff */
static PyObject *recorder_type = NULL;  /* autodiff.core.Recorder (exact type only) */
static TableObject *versions = NULL;    /* dispatch.versions: id(root) -> RootVersion */
static PyObject *py_plan = NULL;        /* core._plan(op, parents, operands) */
static PyObject *meta_type = NULL;      /* core.Meta */
static PyObject *lock_acquire = NULL, *lock_release = NULL;   /* core._lock's bound methods */
static PyObject *trace_stacks = NULL;   /* dispatch.stacks: thread id -> its traces, while any */
static PyObject *str_nodes, *str_roots, *str_kind, *str_differentiable, *str_released,
    *str_vjp, *str_nout, *str_inplace, *str_where, *str_vjp_uses, *str_acquire, *str_release, *str_out, *str_vjp_plain;
static PyObject *inexact_dtypes = NULL; /* dtype -> bool: kind in "fc" */

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
static int
is_inexact_data(PyObject *data)
{
    if (IS_NP(data)) {
        int t = PyArray_TYPE((PyArrayObject *)data);
        return PyTypeNum_ISFLOAT(t) || PyTypeNum_ISCOMPLEX(t);
    }
    PyObject *dt = PyObject_GetAttr(data, str_dtype);
    if (dt == NULL)
        return -1;
    PyObject *known = PyDict_GetItemWithError(inexact_dtypes, dt);
    if (known != NULL) {
        Py_DECREF(dt);
        return known == Py_True;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(dt);
        return -1;
    }
    PyObject *kind = PyObject_GetAttr(dt, str_kind);
    int r = -1;
    if (kind != NULL && PyUnicode_Check(kind)) {
        Py_UCS4 c = PyUnicode_GET_LENGTH(kind) == 1 ? PyUnicode_READ_CHAR(kind, 0) : 0;
        r = c == 'f' || c == 'c';
        if (PyDict_SetItem(inexact_dtypes, dt, r ? Py_True : Py_False) < 0)
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

/* dispatch.track_root(data), and the counter appended to rec.roots: a new reference */
static PyObject *
track(PyObject *data, PyObject *roots)
{
    PyObject *root = data_base(data);
    if (root == NULL)
        return NULL;
    if (root == Py_None || Py_TYPE(root) != Py_TYPE(data)) {
        Py_DECREF(root);
        Py_INCREF(data);
        root = data;
    }
    uintptr_t key = (uintptr_t)root;
    Py_DECREF(root);   /* (data keeps it alive) */
    PyObject *v = (PyObject *)table_get(versions, key);
    if (v != NULL)
        Py_INCREF(v);
    else {
        v = (PyObject *)version_make(key);
        if (v != NULL && table_put(versions, key, (VersionObject *)v) < 0)
            Py_CLEAR(v);
    }
    if (v == NULL)
        return NULL;
    ((VersionObject *)v)->refs++;
    if (PyList_Append(roots, v) < 0) {
        ((VersionObject *)v)->refs--;
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

/* _saved_value: x kept; its check x, v, v.n goes to check[0:3] (new references) */
static int
save_value(PyObject *x, PyObject **check, PyObject *roots)
{
    PyObject *d = data_of(x);
    PyObject *v = d ? track(d, roots) : NULL;
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
static PyObject *tangents_type = NULL;   /* autodiff.core.Tangents (exact type only) */
static PyObject *py_fit = NULL;          /* autodiff.rules.fit */
static PyObject *py_trace_from = NULL;   /* core.trace_from(i, op, operands, params, result) */
static PyObject *str_jvp, *str_name, *kwnames_forward;   /* ("forward",) */

/* Trace ``trace``'s entry in operand ``x``: 1 with *e (borrowed; NULL where x is not tracked)
   and whether x is floating/complex; 0 where the Python path must take the op (a subclass such
   as npflow.Variable, or an entry whose memory was written since: Python raises); -1 error. */
static int
operand_entry(PyObject *x, PyObject *trace, PyObject **e, int *inexact)
{
    *e = NULL;
    *inexact = 0;
    if (Py_TYPE(x) != array_type)
        return PyObject_TypeCheck(x, array_type) ? 0 : 1;
    if (DATA(x) == NULL)   /* (unset: Python raises) */
        return 0;
    ArrayObject *a = (ArrayObject *)x;
    PyObject *found;
    if (a->ad1_trace != NULL) {
        if (a->ad1_trace != trace)
            return 1;
        found = a->ad1_entry;
    }
    else {
        if (a->ad == NULL || !PyDict_Check(a->ad) || PyDict_GET_SIZE(a->ad) == 0)
            return 1;
        found = PyDict_GetItemWithError(a->ad, trace);
        if (found == NULL)
            return PyErr_Occurred() ? -1 : 1;
    }
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 4 ||
            Py_TYPE(PyTuple_GET_ITEM(found, 2)) != &VersionType)
        return 0;
    Py_ssize_t then = PyLong_AsSsize_t(PyTuple_GET_ITEM(found, 3));
    if (then == -1 && PyErr_Occurred())
        return -1;
    if (((VersionObject *)PyTuple_GET_ITEM(found, 2))->n != then)
        return 0;
    int r = is_inexact_data(DATA(x));
    if (r < 0)
        return -1;
    *e = found;   /* (borrowed from x's entries: callers that run Python code take a reference) */
    *inexact = r;
    return 1;
}

/* Whether a call's parameters and result suit the one-pass paths: where= absent or True, out=
   absent or None (then *rparams is params without it, a new reference; else NULL), and a fresh
   npflow array as the result (views need the general path's view links). 1 yes, 0 no, -1 error. */
static int
plain_call(PyObject *params, PyObject *result, PyObject **rparams)
{
    *rparams = NULL;
    if (Py_TYPE(result) != array_type || DATA(result) == NULL)
        return 0;
    if (PyDict_GET_SIZE(params)) {
        PyObject *w = PyDict_GetItemWithError(params, str_where);
        PyObject *o = w != NULL || !PyErr_Occurred() ? PyDict_GetItemWithError(params, str_out) : NULL;
        if (PyErr_Occurred())
            return -1;
        if ((w != NULL && w != Py_True) || (o != NULL && o != Py_None))
            return 0;
        if (o != NULL) {   /* out=None: the rules get the parameters without it */
            *rparams = PyDict_Copy(params);
            if (*rparams == NULL || PyDict_DelItem(*rparams, str_out) < 0) {
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
static int
lock_take(void)
{
    if (!need_lock())
        return 0;
    PyObject *r = PyObject_CallNoArgs(lock_acquire);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 1;
}

static int
lock_give(int taken, int status)
{
    if (taken <= 0)
        return status;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *u = PyObject_CallNoArgs(lock_release);
    if (u == NULL && et == NULL)
        return -1;
    Py_XDECREF(u);
    PyErr_Restore(et, ev, tb);
    return status;
}

/* core.set_entry(result, trace, payload, 0) for a result no trace has seen yet (a fresh dict).
   The caller holds the lock where needed. 0 done, -1 error. */
static int
set_fresh_entry(PyObject *result, PyObject *trace, PyObject *payload, PyObject *roots)
{
    PyObject *d = data_of(result);
    PyObject *v = d ? track(d, roots) : NULL;
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
    PyObject *ad = array_get_ad(r, NULL);          /* (the kept entry moved into the dict) */
    if (ad != NULL && !PyDict_Check(ad)) {
        Py_SETREF(ad, PyDict_New());
        if (ad != NULL && array_set_ad(r, ad, NULL) < 0)
            Py_CLEAR(ad);
    }
    int bad = ad == NULL || PyDict_SetItem(ad, trace, entry) < 0;
    Py_XDECREF(ad);
    Py_DECREF(entry);
    return bad ? -1 : 0;
}

/* ``ct`` as rules.fit(ct, shape, dtype, op.name[, forward=True]) makes it, skipping the call
   when ct is already an npflow array of that shape and dtype. Steals ct; NULL on error. */
static PyObject *
fit_to(PyObject *fit, PyObject *ct, PyObject *shape, PyObject *dtype, PyObject *op, int forward)
{
    if (Py_TYPE(ct) == array_type && DATA(ct) != NULL) {
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
            if (data_shape_dtype(d, &s, &dt) < 0) {
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
    PyObject *name = PyObject_GetAttr(op, str_name);
    PyObject *fa[5] = {ct, shape, dtype, name, Py_True};   /* (forward=True: its value follows) */
    PyObject *r = name ? PyObject_Vectorcall(fit, fa, 4, forward ? kwnames_forward : NULL) : NULL;
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
static PyObject *
op_info(PyObject *op)
{
    PyObject *uses = slot_get(op, op_type, off_op_vjp_uses, str_vjp_uses);
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
    PyObject *d = PyObject_GetAttr(op, str_differentiable);
    PyObject *vjp = d ? PyObject_GetAttr(op, str_vjp) : NULL;
    PyObject *nout = vjp ? PyObject_GetAttr(op, str_nout) : NULL;
    PyObject *inplace = nout ? PyObject_GetAttr(op, str_inplace) : NULL;
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
    if (data_shape_dtype(d, &shape, &dt) < 0)
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
            e = Py_None;
        else
            mask |= 1L << held;
        parents[held] = Py_NewRef(e);
    }
    status = 1;
    if (!tracked)             /* nothing tracked: nothing to record */
        goto done;
    status = 0;
    /* the general path's cases: not differentiable (or no rule), one rule for all operands,
       several outputs, an in-place op, where=, a view; only integer operands tracked */
    info = op_info(op);
    if (info == NULL)
        goto error;
    if (mask == 0 || PyList_GET_ITEM(info, 1) != Py_True)
        goto done;
    if ((status = plain_call(params, result, &rparams)) <= 0)
        goto done;
    status = 0;
    if ((plan = cached_plan(op, info, mask, parents, operands)) == NULL)
        goto error;
    long want_args = PyLong_AsLong(PyTuple_GET_ITEM(plan, 0));
    long want_meta = PyLong_AsLong(PyTuple_GET_ITEM(plan, 1));
    int want_ans = PyTuple_GET_ITEM(plan, 2) == Py_True;
    nodes = slot_get(rec, recorder_type, off_rec_nodes, str_nodes);
    roots = nodes ? slot_get(rec, recorder_type, off_rec_roots, str_roots) : NULL;
    if (roots == NULL)
        goto error;
    if (!PyList_Check(nodes) || !PyList_Check(roots))
        goto done;
    Py_ssize_t nchecks = want_ans;   /* the saved arrays' checks */
    for (Py_ssize_t i = 0; i < n; i++)
        nchecks += ((want_args >> i) & 1) && Py_TYPE(PyTuple_GET_ITEM(operands, i)) == array_type;
    node = node_make_inline(op, rparams ? rparams : params, want_ans ? result : Py_None, n, nchecks);
    if (node == NULL)
        goto error;
    if ((locked = lock_take()) < 0)
        goto error;
    PyObject **check = NODE_CHECKS(node);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyTuple_GET_ITEM(operands, i), *s = Py_None, *m = Py_None;
        int is_arr = Py_TYPE(x) == array_type;
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
    int inexact = rd ? is_inexact_data(rd) : -1;
    if (inexact < 0 || (inexact && set_fresh_entry(result, rec, (PyObject *)node, roots) < 0))
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

/* ---- forward mode: Tangents.process's common case ------------------------- */
/* The output tangent of ``op`` (one output ``result``) on the Tangents trace ``tr``: the sum of
   its per-operand jvp rules, run with no trace active (this is the only one), fitted to the
   result and set as its entry. 1 done (or nothing to do), 0 leave it to Python, -1 error. */
static int tangent_rules(PyObject *tr, PyObject *op, PyObject *operands, PyObject *params,
                         PyObject *result, PyObject *outer, PyObject **tangents);

static int
tangent_record(PyObject *tr, PyObject *op, PyObject *operands, PyObject *params, PyObject *result,
               PyObject *outer)
{
    Py_ssize_t n = PyTuple_GET_SIZE(operands), held = 0;
    PyObject *tangents[32];   /* each operand's tangent or NULL, held while the rules run */
    int any = 0, status = 0;
    if (n > 32 || py_fit == NULL)
        return 0;
    for (; held < n; held++) {
        PyObject *e;
        int inexact, ok = operand_entry(PyTuple_GET_ITEM(operands, held), tr, &e, &inexact);
        tangents[held] = NULL;
        if (ok <= 0 || (e != NULL && !inexact)) {
            status = ok < 0 ? -1 : 0;
            goto done;
        }
        if (e == NULL)
            continue;
        tangents[held] = Py_NewRef(PyTuple_GET_ITEM(e, 0));
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
    PyObject *info = op_info(op);
    if (info == NULL)
        return -1;
    int fixed = PyList_GET_ITEM(info, 2) == Py_True;
    Py_DECREF(info);
    PyObject *rparams, *jvp = NULL;
    int plain = fixed ? plain_call(params, result, &rparams) : 0;
    if (plain <= 0)
        return plain;
    int simple = (jvp = PyObject_GetAttr(op, str_jvp)) != NULL && PyTuple_Check(jvp) &&
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
    PyObject *saved_stack = PyObject_GetAttr(trace_state, str_stack);
    PyObject *empty = saved_stack ? (outer ? PyList_GetSlice(outer, 0, PY_SSIZE_T_MAX)
                                           : PyList_New(0)) : NULL;
    stack_epoch++;
    if (empty == NULL || PyObject_SetAttr(trace_state, str_stack, empty) < 0) {
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
    int inexact = rd ? is_inexact_data(rd) : status > 0 ? -1 : 0;
    if (inexact < 0)
        status = -1;
    int set = status > 0 && inexact && t_out != NULL && t_out != Py_None;
    if (set) {
        PyObject *shape, *dt;
        if ((rd = data_of(result)) != NULL && data_shape_dtype(rd, &shape, &dt) == 0) {
            t_out = fit_to(py_fit, t_out, shape, dt, op, 1);
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
    stack_epoch++;
    if (PyObject_SetAttr(trace_state, str_stack, saved_stack) < 0) {
        Py_XDECREF(et); Py_XDECREF(ev); Py_XDECREF(tb);
        status = -1;
    }
    else
        PyErr_Restore(et, ev, tb);
    Py_DECREF(saved_stack);
    if (status > 0 && set) {
        PyObject *roots = PyObject_GetAttr(tr, str_roots);
        int locked = roots != NULL && PyList_Check(roots) ? lock_take() : -1;
        if (locked >= 0 && set_fresh_entry(result, tr, t_out, roots) < 0)
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

static PyObject *
configure_forward(PyObject *module, PyObject *args)
{
    PyObject *tt, *fit, *from;
    if (!PyArg_ParseTuple(args, "OOO:configure_forward", &tt, &fit, &from))
        return NULL;
    Py_INCREF(from); Py_XSETREF(py_trace_from, from);
    Py_INCREF(fit); Py_XSETREF(py_fit, fit);
    Py_INCREF(tt); Py_XSETREF(tangents_type, tt);
    Py_RETURN_NONE;
}

/* Python entry: trace(op, operands, params, result) -> True (this thread's traces took the
   result here) or False (autodiff's Python hook must): what dispatch.traced tries first. */
static PyObject *
py_trace(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "trace(op, operands: tuple, params: dict, result)");
        return NULL;
    }
    if (versions == NULL || array_type == NULL)   /* not configured yet: Python's */
        Py_RETURN_FALSE;
    int r = trace_one(args[0], args[1], args[2], args[3]);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

/* watch(rec, x): Recorder.watch's common case, an npflow array (exact type) of a floating
   dtype that no trace tracks yet: a source node and its entry. True done, False: Python's. */
static PyObject *
py_watch(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "watch(rec, x)");
        return NULL;
    }
    PyObject *rec = args[0], *x = args[1];
    if (versions == NULL || (PyObject *)Py_TYPE(rec) != recorder_type || Py_TYPE(x) != array_type)
        Py_RETURN_FALSE;
    ArrayObject *a = (ArrayObject *)x;
    if (a->ad1_trace != NULL) {   /* a finished trace's entry goes (as set_entry drops them) */
        PyObject *done = PyObject_GetAttr(a->ad1_trace, str_released);
        if (done == NULL)
            return NULL;
        Py_DECREF(done);
        if (done != Py_True)
            Py_RETURN_FALSE;
        array_set_ad(a, NULL, NULL);
    }
    if (a->ad != NULL || a->data == NULL)   /* (unset data: Python raises) */
        Py_RETURN_FALSE;
    int inexact = is_inexact_data(DATA(x));
    if (inexact <= 0)
        return inexact < 0 ? NULL : Py_NewRef(Py_False);
    PyObject *nodes = slot_get(rec, recorder_type, off_rec_nodes, str_nodes);
    PyObject *roots = nodes ? slot_get(rec, recorder_type, off_rec_roots, str_roots) : NULL;
    PyObject *m = roots ? meta_of(data_of(x)) : NULL;
    PyObject *meta = m ? PyTuple_Pack(1, m) : NULL;
    PyObject *empty = meta ? PyTuple_New(0) : NULL;
    PyObject *node = NULL, *r = NULL;
    if (empty != NULL && PyList_Check(nodes) && PyList_Check(roots) &&
            (node = node_make(Py_None, Py_None, empty, empty, Py_None, meta, empty)) != NULL) {
        int locked = lock_take();
        int status = locked < 0 || PyList_Append(nodes, node) < 0 ||
                     set_fresh_entry(x, rec, node, roots) < 0 ? -1 : 1;
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
static PyObject *
py_untrack(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || Py_TYPE(args[0]) != &TableType || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "untrack(versions: VersionTable, roots: list)");
        return NULL;
    }
    TableObject *vers = (TableObject *)args[0];
    PyObject *roots = args[1];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(roots); i++) {
        PyObject *v = PyList_GET_ITEM(roots, i);
        if (Py_TYPE(v) != &VersionType) {
            PyErr_SetString(PyExc_TypeError, "untrack(): not a RootVersion");
            return NULL;
        }
        VersionObject *vo = (VersionObject *)v;
        if (--vo->refs <= 0 && table_get(vers, vo->key) == vo)   /* (pop: only this counter) */
            table_del(vers, vo->key);
    }
    Py_RETURN_NONE;
}

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
    ct = fit_to(fit, ct, PyTuple_GET_ITEM(m, 0), PyTuple_GET_ITEM(m, 1), op, 0);
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
        Py_ssize_t pn = Py_TYPE(pnode) == &NodeType ? ((NodeObject *)pnode)->nout : 1;
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
static PyObject *
py_backward(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
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
        if (Py_TYPE(nodeobj) != &NodeType) {
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
            if (Py_TYPE(v) != &VersionType || !PyLong_CheckExact(cnt)) {
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
            vjp = PyObject_GetAttr(op, PyDict_GET_SIZE(params) ? str_vjp : str_vjp_plain);
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
                Py_XDECREF(node_release(node, NULL));
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
            Py_XDECREF(node_release(node, NULL));
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


/* A result handed to this thread's traces, outermost first (core.on_apply's order), where
   they are Recorders and Tangents traces: 1 done, 0 not taken (the Python hook takes it),
   -1 error. A trace the C paths decline after others were done here goes, with the rest, to
   core.trace_from(i, ...), on_apply's loop from trace i. */
static int
trace_one(PyObject *op, PyObject *operands, PyObject *params, PyObject *result)
{
    PyObject *stack = this_stack();
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
        else if (tangents_type != NULL && (PyObject *)Py_TYPE(t) == tangents_type) {
            PyObject *outer = i ? PyList_GetSlice(stack, 0, i) : NULL;
            r = i && outer == NULL ? -1 : tangent_record(t, op, operands, params, result, outer);
            Py_XDECREF(outer);
        }
        else
            r = 0;
        Py_DECREF(t);
        if (r == 0 && i > 0) {   /* traces before i were handled here: Python goes on from i */
            PyObject *idx = PyLong_FromSsize_t(i);
            PyObject *a[5] = {idx, op, operands, params, result};
            PyObject *done = idx ? PyObject_Vectorcall(py_trace_from, a, 5, NULL) : NULL;
            Py_XDECREF(idx);
            r = done == NULL ? -1 : 1;
            Py_XDECREF(done);
            break;
        }
    }
    Py_DECREF(stack);
    return r;
}

/* ---- dispatch.apply in C --------------------------------------------------- */
/* apply(op, *operands, **params) for the common case: operands npflow arrays (exact type)
   on the CPU or Python scalars, no out=, no array inside a parameter, an op that writes
   nothing, a kernel that succeeds. Everything else is dispatch's Python apply, called with
   the same arguments: it holds the semantics (and the error messages). */
static PyObject *py_apply_general = NULL;   /* dispatch._apply_py */
static PyObject *py_as_device = NULL;       /* devices.as_device */
static PyObject *str_np_kernel, *str_wraps, *str_device, *str_dst;

static PyObject *
apply_general(PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return PyObject_Vectorcall(py_apply_general, args, nargsf, kwnames);
}

static PyObject *
c_apply(PyObject *module, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    int mode;
    if (py_apply_general == NULL || nargs < 1 || nargs > 17 || nkw > 16 || (mode = fast_mode()) == 0)
        return py_apply_general ? apply_general(args, nargsf, kwnames)
                                : (PyErr_SetString(PyExc_RuntimeError, "apply: not configured"), NULL);
    PyObject *op = args[0];
    PyObject *dev = NULL, *target = NULL;
    PyObject *raw[17 + 16];
    PyObject *names[16];
    Py_ssize_t nraw = 0, nnames = 0;
    for (Py_ssize_t i = 1; i < nargs; i++) {
        PyObject *x = args[i];
        if (Py_TYPE(x) == array_type) {
            PyObject *d = np_data(x);   /* (NULL: unset, or not a CPU array: Python's) */
            if (d == NULL || DEVICE(x) == NULL || (dev != NULL && DEVICE(x) != dev))
                return apply_general(args, nargsf, kwnames);
            dev = DEVICE(x);
            raw[nraw++] = d;
        }
        else if (is_py_scalar(x) || x == Py_None)
            raw[nraw++] = x;
        else
            return apply_general(args, nargsf, kwnames);   /* subclasses, foreign arrays */
    }
    for (Py_ssize_t j = 0; j < nkw; j++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, j), *v = args[nargs + j];
        if (k == str_device || PyUnicode_Compare(k, str_device) == 0) {
            target = v;
            continue;
        }
        if (v != Py_None && (k == str_out || k == str_dst || PyUnicode_Compare(k, str_out) == 0 ||
                             PyUnicode_Compare(k, str_dst) == 0))
            return apply_general(args, nargsf, kwnames);
        if (PyObject_TypeCheck(v, array_type))
            return apply_general(args, nargsf, kwnames);
        if (PyTuple_Check(v)) {
            for (Py_ssize_t q = 0; q < PyTuple_GET_SIZE(v); q++)
                if (PyObject_TypeCheck(PyTuple_GET_ITEM(v, q), array_type))
                    return apply_general(args, nargsf, kwnames);
        }
        raw[(nargs - 1) + nnames] = v;
        names[nnames++] = k;
    }
    if (target == Py_None)
        target = NULL;
    PyObject *out_dev;
    if (dev == NULL) {
        PyObject *a = target ? target : Py_None;
        out_dev = PyObject_Vectorcall(py_as_device, &a, 1, NULL);
        if (out_dev == NULL) {
            PyErr_Clear();
            return apply_general(args, nargsf, kwnames);
        }
        Py_DECREF(out_dev);   /* devices are interned: kept alive by the registry */
        dev = out_dev;
    }
    else if (target != NULL)
        return apply_general(args, nargsf, kwnames);   /* a transfer */
    out_dev = dev;
    if (dev != cpu_device)
        return apply_general(args, nargsf, kwnames);
    PyObject *inplace = PyObject_GetAttr(op, str_inplace);
    if (inplace == NULL)
        return NULL;
    int writes = PyObject_IsTrue(inplace);
    Py_DECREF(inplace);
    if (writes)
        return apply_general(args, nargsf, kwnames);
    mode = operands_mode(mode, args + 1, nargs - 1);
    PyObject *kernel = PyObject_GetAttr(op, str_np_kernel);
    if (kernel == NULL)
        return NULL;
    PyObject *kwn = NULL;
    if (nnames) {
        kwn = PyTuple_New(nnames);
        if (kwn == NULL) {
            Py_DECREF(kernel);
            return NULL;
        }
        for (Py_ssize_t j = 0; j < nnames; j++) {
            Py_INCREF(names[j]);
            PyTuple_SET_ITEM(kwn, j, names[j]);
        }
    }
    for (Py_ssize_t i = 0; i < nraw + nnames; i++)   /* (held while the kernel runs) */
        Py_INCREF(raw[i]);
    PyObject *r = PyObject_Vectorcall(kernel, raw, nraw, kwn);
    for (Py_ssize_t i = 0; i < nraw + nnames; i++)
        Py_DECREF(raw[i]);
    Py_DECREF(kernel);
    if (r == NULL) {   /* Python's apply runs it again and raises, annotated */
        Py_XDECREF(kwn);
        PyErr_Clear();
        return apply_general(args, nargsf, kwnames);
    }
    PyObject *wraps = PyObject_GetAttr(op, str_wraps);
    int w = wraps ? PyObject_IsTrue(wraps) : -1;
    Py_XDECREF(wraps);
    PyObject *result = r;
    if (w < 0) {
        Py_DECREF(r);
        Py_XDECREF(kwn);
        return NULL;
    }
    if (w) {
        result = wrap_result(r, out_dev);   /* (NumPy scalars on the CPU too; the rest: Python's) */
        if (result == NULL) {
            Py_XDECREF(kwn);
            return NULL;
        }
    }
    if (mode == 2) {   /* this thread's traces: the operands, the parameters, the result */
        PyObject *operands = PyTuple_New(nargs - 1);
        PyObject *params = operands ? PyDict_New() : NULL;
        int bad = params == NULL;
        for (Py_ssize_t i = 1; i < nargs && !bad; i++) {
            Py_INCREF(args[i]);
            PyTuple_SET_ITEM(operands, i - 1, args[i]);
        }
        for (Py_ssize_t j = 0; j < nnames && !bad; j++)
            bad = PyDict_SetItem(params, names[j], raw[(nargs - 1) + j]) < 0;
        int done = bad ? 0 : trace_one(op, operands, params, result);
        if (done < 0)
            bad = 1;
        if (!bad && !done) {
            PyObject *ta[5] = {op, operands, result, params, Py_True};   /* tried=True */
            PyObject *t = PyObject_Vectorcall(py_traced, ta, 5, NULL);
            if (t == NULL)
                bad = 1;
            Py_XDECREF(t);
        }
        Py_XDECREF(operands);
        Py_XDECREF(params);
        if (bad) {
            Py_DECREF(result);
            Py_XDECREF(kwn);
            return NULL;
        }
    }
    Py_XDECREF(kwn);
    return result;
}

static PyObject *
configure_apply(PyObject *module, PyObject *args)
{
    PyObject *general, *asdev;
    if (!PyArg_ParseTuple(args, "OO:configure_apply", &general, &asdev))
        return NULL;
    Py_INCREF(asdev); Py_XSETREF(py_as_device, asdev);
    Py_INCREF(general); Py_XSETREF(py_apply_general, general);
    Py_RETURN_NONE;
}

static PyObject *
configure_autodiff(PyObject *module, PyObject *args)
{
    PyObject *rt, *vers, *plan, *mt, *lock, *ot, *stacks;
    if (!PyArg_ParseTuple(args, "O!O!OOOO!O!:configure_autodiff", &PyType_Type, &rt, &TableType, &vers,
                          &plan, &mt, &lock, &PyType_Type, &ot, &PyDict_Type, &stacks))
        return NULL;
    Py_INCREF(stacks); Py_XSETREF(trace_stacks, stacks);
    if ((off_rec_nodes = slot_offset(rt, "nodes")) < 0 || (off_rec_roots = slot_offset(rt, "roots")) < 0 ||
            (off_op_vjp_uses = slot_offset(ot, "vjp_uses")) < 0 ||
            (off_op_info = slot_offset(ot, "fast_info")) < 0)
        return NULL;
    Py_INCREF(ot); Py_XSETREF(op_type, ot);
    Py_INCREF(vers); Py_XSETREF(versions, (TableObject *)vers);
    Py_INCREF(plan); Py_XSETREF(py_plan, plan);
    Py_INCREF(mt); Py_XSETREF(meta_type, mt);
    Py_XSETREF(lock_acquire, PyObject_GetAttr(lock, str_acquire));
    Py_XSETREF(lock_release, PyObject_GetAttr(lock, str_release));
    if (lock_acquire == NULL || lock_release == NULL)
        return NULL;
    Py_INCREF(rt); Py_XSETREF(recorder_type, rt);
    Py_RETURN_NONE;
}

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
    PyObject *numpy = PyImport_ImportModule("numpy");
    if (numpy == NULL)
        return NULL;
    Py_XSETREF(np_generic, PyObject_GetAttrString(numpy, "generic"));
    Py_XSETREF(np_asarray, PyObject_GetAttrString(numpy, "asarray"));
    Py_DECREF(numpy);
    if (np_generic == NULL || np_asarray == NULL || !PyType_Check(np_generic))
        return NULL;
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

static PyObject *
scalar_array(PyObject *module, PyObject *g)
{
    if (!PyArray_IsScalar(g, Generic)) {
        PyErr_SetString(PyExc_TypeError, "scalar_array: a NumPy scalar is needed");
        return NULL;
    }
    return scalar_array_of(g);
}

static PyMethodDef module_methods[] = {
    {"scalar_array", scalar_array, METH_O,
     "scalar_array(numpy_scalar): the 0-d array standing for it (dispatch.is_scalar)"},
    {"apply", (PyCFunction)(void (*)(void))c_apply, METH_FASTCALL | METH_KEYWORDS,
     "apply(op, *operands, **params): dispatch.apply, its common case in C"},
    {"configure_apply", configure_apply, METH_VARARGS,
     "configure_apply(dispatch._apply_py, devices.as_device)"},
    {"watch", (PyCFunction)(void (*)(void))py_watch, METH_FASTCALL,
     "watch(rec, x): Recorder.watch's common case (False: not taken)"},
    {"release_nodes", py_release_nodes, METH_O, "release_nodes(nodes): node.release() for each"},
    {"stack_changed", py_stack_changed, METH_NOARGS,
     "stack_changed(): dispatch.trace_state.stack was assigned anew (drops the C side's cache)"},
    {"configure_forward", configure_forward, METH_VARARGS,
     "configure_forward(Tangents, rules.fit, core.trace_from)"},
    {"trace", (PyCFunction)(void (*)(void))py_trace, METH_FASTCALL,
     "trace(op, operands, params, result): this thread's traces take the result in C (False: not)"},
    {"configure_autodiff", configure_autodiff, METH_VARARGS,
     "configure_autodiff(Recorder, dispatch.versions, core._plan, core.Meta, core._lock, registry.Op, "
     "dispatch.stacks)"},
    {"backward", (PyCFunction)(void (*)(void))py_backward, METH_FASTCALL,
     "backward(nodes, grads, wanted, found, fit, slow): Recorder.backward's loop"},
    {"untrack", (PyCFunction)(void (*)(void))py_untrack, METH_FASTCALL,
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
    if (PyType_Ready(&ArrayBaseType) < 0 || PyType_Ready(&UfuncBaseType) < 0 ||
        PyType_Ready(&VersionType) < 0 || PyType_Ready(&NodeType) < 0 || PyType_Ready(&TableType) < 0 ||
        PyType_Ready(&PartialType) < 0)
        return NULL;
    str_nodes = PyUnicode_InternFromString("nodes");
    str_roots = PyUnicode_InternFromString("roots");
    str_released = PyUnicode_InternFromString("released");
    str_dtype = PyUnicode_InternFromString("dtype");
    str_kind = PyUnicode_InternFromString("kind");
    str_shape = PyUnicode_InternFromString("shape");
    str_differentiable = PyUnicode_InternFromString("differentiable");
    str_vjp = PyUnicode_InternFromString("vjp");
    str_nout = PyUnicode_InternFromString("nout");
    str_inplace = PyUnicode_InternFromString("inplace");
    str_where = PyUnicode_InternFromString("where");
    str_vjp_uses = PyUnicode_InternFromString("vjp_uses");
    str_acquire = PyUnicode_InternFromString("acquire");
    str_release = PyUnicode_InternFromString("release");
    str_out = PyUnicode_InternFromString("out");
    str_vjp_plain = PyUnicode_InternFromString("vjp_plain");
    str_jvp = PyUnicode_InternFromString("jvp");
    str_name = PyUnicode_InternFromString("name");
    str_np_kernel = PyUnicode_InternFromString("np_kernel");
    str_wraps = PyUnicode_InternFromString("wraps");
    str_device = PyUnicode_InternFromString("device");
    str_dst = PyUnicode_InternFromString("dst");
    inexact_dtypes = PyDict_New();
    empty_params = PyDict_New();
    kwnames_forward = Py_BuildValue("(s)", "forward");
    if (str_release == NULL || inexact_dtypes == NULL || empty_params == NULL ||
            kwnames_forward == NULL)
        return NULL;
    str_call = PyUnicode_InternFromString("_call");
    str_base = PyUnicode_InternFromString("base");
    str_no = PyUnicode_InternFromString("no");
    str_stack = PyUnicode_InternFromString("stack");
    elide_kwnames = Py_BuildValue("(ss)", "out", "casting");
    if (str_call == NULL || str_base == NULL || str_no == NULL || elide_kwnames == NULL)
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
    Py_INCREF(&VersionType);
    Py_INCREF(&NodeType);
    Py_INCREF(&TableType);
    Py_INCREF(&PartialType);
    if (PyModule_AddObject(m, "RootVersion", (PyObject *)&VersionType) < 0 ||
        PyModule_AddObject(m, "Node", (PyObject *)&NodeType) < 0 ||
        PyModule_AddObject(m, "VersionTable", (PyObject *)&TableType) < 0 ||
        PyModule_AddObject(m, "Partial", (PyObject *)&PartialType) < 0 ||
        PyModule_AddObject(m, "ArrayBase", (PyObject *)&ArrayBaseType) < 0 ||
        PyModule_AddObject(m, "UfuncBase", (PyObject *)&UfuncBaseType) < 0 ||
        PyModule_AddObject(m, "BINARY", make_tuple_of_names(binary_names, NBINARY)) < 0 ||
        PyModule_AddObject(m, "UNARY", make_tuple_of_names(unary_names, NUNARY)) < 0 ||
        PyModule_AddObject(m, "COMPARISONS", make_tuple_of_names(compare_names, 6)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
