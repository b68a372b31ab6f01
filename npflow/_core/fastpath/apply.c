/* npflow's C accelerator: dispatch in C: apply (dispatch.apply's common case), the operator
   fast paths (try_fast1/try_fast2, ArrayBase's operator slots) with temporary elision, the call
   of npflow.ufunc objects (UfuncBase), the wrapping of kernel results and the hand-off of a
   result to this thread's traces. */
#include "fastpath.h"

PyObject *npf_binary_op[NBINARY], *npf_binary_kernel[NBINARY];
PyObject *npf_unary_op[NUNARY], *npf_unary_kernel[NUNARY];
PyObject *npf_compare_op[6], *npf_compare_kernel[6];

PyTypeObject *npf_array_type = NULL;   /* npflow.ndarray */
PyTypeObject *npf_np_ndarray = NULL;   /* numpy.ndarray */
PyObject *npf_cpu_device = NULL;
PyObject *npf_recorders = NULL;        /* dispatch.recorders (a list) */
PyObject *npf_tracing = NULL;          /* dispatch.tracing: an entry per active trace, any thread */
PyObject *npf_trace_state = NULL;      /* dispatch.trace_state: .stack, this thread's traces */
PyObject *npf_str_stack = NULL;
PyObject *npf_py_apply1 = NULL, *npf_py_apply2 = NULL, *npf_py_wrap = NULL, *npf_py_traced = NULL;
PyObject *npf_str_call = NULL;

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
int npf_binary_op_opcode = -1;
PyObject *npf_elide_kwnames = NULL, *npf_str_no = NULL;

static int
called_from_binary_op(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    if (npf_binary_op_opcode < 0)
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
             (unsigned char)PyBytes_AS_STRING(code)[lasti] == npf_binary_op_opcode;
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
    if (Py_TYPE(t) != npf_array_type || Py_REFCNT(t) != 1)
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
    PyObject *args[4] = {x, y, d, npf_str_no};
    Py_INCREF(d);   /* (held while the kernel runs) */
    PyObject *r = PyObject_Vectorcall(kernel, args, 2, npf_elide_kwnames);
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
unsigned long npf_stack_epoch = 1, npf_stack_cache_epoch = 0;

PyObject *
npf_this_stack(void)
{
    uint64_t thread = PyThreadState_GetID(PyThreadState_Get());
    if (stack_cache != NULL && thread == stack_cache_thread && npf_stack_cache_epoch == npf_stack_epoch)
        return stack_cache;
    PyObject *stack = PyObject_GetAttr(npf_trace_state, npf_str_stack);
    if (stack == NULL)
        return NULL;
    Py_XSETREF(stack_cache, stack);
    stack_cache_thread = thread;
    npf_stack_cache_epoch = npf_stack_epoch;
    return stack;
}

PyObject *
npf_py_stack_changed(PyObject *module, PyObject *unused)
{
    npf_stack_epoch++;
    /* the cached list goes now, not at the next lookup: it may hold a finished transform's
       trace, which would keep its tape (saved values, version counters) alive until this
       thread's next traced op (no C caller holds the borrowed list across a Python call) */
    Py_CLEAR(stack_cache);
    Py_RETURN_NONE;
}

/* 0: not on the fast path (observers present); 1: fast; 2: fast, then hand the result
   to this thread's autodiff traces (dispatch.traced); 3: as 2 if an operand is tracked, else
   as 1 (this thread has no traces, another has: an op on an array another thread's trace
   tracks is that trace's business, DESIGN invariant 9; see operands_mode). */
static inline int
fast_mode(void)
{
    if (npf_array_type == NULL || PyList_GET_SIZE(npf_recorders) != 0)
        return 0;
    if (PyList_GET_SIZE(npf_tracing) == 0)
        return 1;
    PyObject *stack = npf_this_stack();
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
    if (Py_TYPE(x) != npf_array_type)
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

PyObject *npf_empty_params = NULL;

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
    int done = npf_trace_one(op, operands, npf_empty_params, result);
    if (done != 0) {
        Py_DECREF(operands);
        if (done < 0)
            Py_CLEAR(result);
        return result;
    }
    PyObject *args[5] = {op, operands, result, npf_empty_params, Py_True};   /* tried=True */
    PyObject *r = PyObject_Vectorcall(npf_py_traced, args, 5, NULL);
    Py_DECREF(operands);
    Py_DECREF(result);
    return r;
}

/* Wrap a kernel result (new reference, stolen) as an npflow array on dev. */
PyObject *npf_np_generic = NULL, *npf_np_asarray = NULL;   /* numpy.generic, numpy.asarray */

/* A NumPy scalar as the 0-d array that stands for it (dispatch.is_scalar): over the scalar's own
   (immutable, so read-only) memory, with the scalar as its base, which marks it exactly. */
PyObject *
npf_scalar_array_of(PyObject *g)
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
    if (npf_np_generic != NULL && dev == npf_cpu_device && PyObject_TypeCheck(r, (PyTypeObject *)npf_np_generic)) {
        PyObject *a = npf_scalar_array_of(r);   /* a NumPy scalar: 0-d (dispatch.is_scalar) */
        Py_DECREF(r);
        if (a == NULL)
            return NULL;
        r = a;
    }
    /* tuples, other backends' scalars, and views of a scalar with dimensions (NumPy's are views
       of a new array): the Python wrap */
    if (Py_TYPE(r) != npf_np_ndarray || (PyArray_BASE((PyArrayObject *)r) != NULL
            && PyArray_NDIM((PyArrayObject *)r) != 0 && is_scalar_memory(PyArray_BASE((PyArrayObject *)r)))) {
        PyObject *args[2] = {r, dev};
        PyObject *w = PyObject_Vectorcall(npf_py_wrap, args, 2, NULL);
        Py_DECREF(r);
        return w;
    }
    ArrayObject *o = (ArrayObject *)npf_array_type->tp_alloc(npf_array_type, 0);
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
    if (Py_TYPE(a) == npf_array_type) {
        dev = DEVICE(a);
        x = np_data(a);
        if (Py_TYPE(b) == npf_array_type) {
            if (DEVICE(b) != dev)
                return 0;
            y = np_data(b);
        }
        else if (is_py_scalar(b))
            y = b;
        else
            return 0;
    }
    else if (Py_TYPE(b) == npf_array_type && is_py_scalar(a)) {
        dev = DEVICE(b);
        x = a;
        y = np_data(b);
    }
    else
        return 0;
    if (dev != npf_cpu_device || x == NULL || y == NULL)
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
    if (Py_TYPE(a) != npf_array_type || DEVICE(a) != npf_cpu_device || (x = np_data(a)) == NULL ||
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
    *out = wrap_result(r, npf_cpu_device);
    if (mode == 2)
        *out = hand_to_traces(op, *out, a, NULL);
    return 1;
}

static PyObject *
binary(int slot, PyObject *a, PyObject *b)
{
    PyObject *r;
    if (npf_binary_op[slot] == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    /* the left operand may be elided for every operator, the right one where the
       operation is commutative (NumPy's rule) */
    int commutative = slot == B_ADD || slot == B_MUL || slot == B_AND || slot == B_OR || slot == B_XOR;
    if (try_fast2(npf_binary_op[slot], npf_binary_kernel[slot], a, b, &r, commutative ? 2 : 1))
        return r;
    PyObject *args[3] = {npf_binary_op[slot], a, b};
    return PyObject_Vectorcall(npf_py_apply2, args, 3, NULL);
}

static PyObject *
unary(int slot, PyObject *a)
{
    PyObject *r;
    if (npf_unary_op[slot] == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    if (try_fast1(npf_unary_op[slot], npf_unary_kernel[slot], a, &r))
        return r;
    PyObject *args[2] = {npf_unary_op[slot], a};
    return PyObject_Vectorcall(npf_py_apply1, args, 2, NULL);
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

PyObject *
npf_richcompare(PyObject *self, PyObject *other, int opid)
{
    PyObject *r;
    if (npf_compare_op[opid] == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    if (try_fast2(npf_compare_op[opid], npf_compare_kernel[opid], self, other, &r, 0))
        return r;
    PyObject *args[3] = {npf_compare_op[opid], self, other};
    return PyObject_Vectorcall(npf_py_apply2, args, 3, NULL);
}

PyNumberMethods npf_array_as_number = {
    .nb_add = nb_add, .nb_subtract = nb_sub, .nb_multiply = nb_mul,
    .nb_true_divide = nb_truediv, .nb_floor_divide = nb_floordiv, .nb_remainder = nb_mod,
    .nb_power = nb_pow, .nb_matrix_multiply = nb_matmul, .nb_and = nb_and, .nb_or = nb_or,
    .nb_xor = nb_xor, .nb_lshift = nb_lshift, .nb_rshift = nb_rshift,
    .nb_negative = nb_neg, .nb_positive = nb_pos, .nb_absolute = nb_abs, .nb_invert = nb_invert,
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
    PyObject *general = PyObject_GetAttr((PyObject *)self, npf_str_call);
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

PyTypeObject npf_UfuncBaseType = {
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

/* ---- dispatch.apply in C --------------------------------------------------- */
/* apply(op, *operands, **params) for the common case: operands npflow arrays (exact type)
   on the CPU or Python scalars, no out=, no array inside a parameter, an op that writes
   nothing, a kernel that succeeds. Everything else is dispatch's Python apply, called with
   the same arguments: it holds the semantics (and the error messages). */
static PyObject *py_apply_general = NULL;   /* dispatch._apply_py */
static PyObject *py_as_device = NULL;       /* devices.as_device */
PyObject *npf_str_np_kernel, *npf_str_wraps, *npf_str_device, *npf_str_dst;

static PyObject *
apply_general(PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    return PyObject_Vectorcall(py_apply_general, args, nargsf, kwnames);
}

PyObject *
npf_c_apply(PyObject *module, PyObject *const *args, size_t nargsf, PyObject *kwnames)
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
        if (Py_TYPE(x) == npf_array_type) {
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
        if (k == npf_str_device || PyUnicode_Compare(k, npf_str_device) == 0) {
            target = v;
            continue;
        }
        if (v != Py_None && (k == npf_str_out || k == npf_str_dst || PyUnicode_Compare(k, npf_str_out) == 0 ||
                             PyUnicode_Compare(k, npf_str_dst) == 0))
            return apply_general(args, nargsf, kwnames);
        if (PyObject_TypeCheck(v, npf_array_type))
            return apply_general(args, nargsf, kwnames);
        if (PyTuple_Check(v)) {
            for (Py_ssize_t q = 0; q < PyTuple_GET_SIZE(v); q++)
                if (PyObject_TypeCheck(PyTuple_GET_ITEM(v, q), npf_array_type))
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
    if (dev != npf_cpu_device)
        return apply_general(args, nargsf, kwnames);
    PyObject *inplace = PyObject_GetAttr(op, npf_str_inplace);
    if (inplace == NULL)
        return NULL;
    int writes = PyObject_IsTrue(inplace);
    Py_DECREF(inplace);
    if (writes)
        return apply_general(args, nargsf, kwnames);
    mode = operands_mode(mode, args + 1, nargs - 1);
    PyObject *kernel = PyObject_GetAttr(op, npf_str_np_kernel);
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
    PyObject *wraps = PyObject_GetAttr(op, npf_str_wraps);
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
        int done = bad ? 0 : npf_trace_one(op, operands, params, result);
        if (done < 0)
            bad = 1;
        if (!bad && !done) {
            PyObject *ta[5] = {op, operands, result, params, Py_True};   /* tried=True */
            PyObject *t = PyObject_Vectorcall(npf_py_traced, ta, 5, NULL);
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

PyObject *
npf_configure_apply(PyObject *module, PyObject *args)
{
    PyObject *general, *asdev;
    if (!PyArg_ParseTuple(args, "OO:configure_apply", &general, &asdev))
        return NULL;
    Py_INCREF(asdev); Py_XSETREF(py_as_device, asdev);
    Py_INCREF(general); Py_XSETREF(py_apply_general, general);
    Py_RETURN_NONE;
}
