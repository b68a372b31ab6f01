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
 * all the semantics and every error: these files decide nothing they do not. The pure-Python
 * build (NPFLOW_PURE_PYTHON=1) runs the same suite.
 *
 * One extension module, npflow._core._fastpath, built from the files of this folder (setup.py
 * lists them), split by concern:
 *   fastpath.h   this header: the object layouts, the operator indices, and what one file
 *                defines and another uses (``npf_``-prefixed; the small hot helpers several
 *                files call are ``static inline`` here, so they stay inlined);
 *   array.c      ArrayBase: storage, attributes;
 *   apply.c      apply, the operator slots and fast paths with temporary elision, UfuncBase;
 *   version.c    RootVersion and VersionTable (the write counters), track;
 *   recorder.c   Node and the tape recorder, watch, untrack, trace_one;
 *   tangent.c    forward mode (tangents);
 *   backward.c   the backward loop and Partial;
 *   callables.c  Function (public functions) and KindSplit (kernels split by dtype kind);
 *   module.c     the methods table, configure and the module's init.
 */
#ifndef NPFLOW_FASTPATH_H
#define NPFLOW_FASTPATH_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
/* One table of NumPy's C API for the whole module: module.c imports it (import_array), the
   other files share it. */
#define PY_ARRAY_UNIQUE_SYMBOL npflow_fastpath_ARRAY_API
#ifndef NPFLOW_FASTPATH_MODULE
#define NO_IMPORT_ARRAY
#endif
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
enum { B_ADD, B_SUB, B_MUL, B_TRUEDIV, B_FLOORDIV, B_MOD, B_POW, B_MATMUL,
       B_AND, B_OR, B_XOR, B_LSHIFT, B_RSHIFT, NBINARY };
enum { U_NEG, U_POS, U_ABS, U_INVERT, NUNARY };
typedef struct {
    PyObject_HEAD
    Py_ssize_t n;       /* writes into the memory since it was registered */
    Py_ssize_t refs;    /* entries and saved values that depend on it */
    uintptr_t key;      /* id() of the array owning the memory (not the array: see dispatch.py) */
} VersionObject;

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

#define NODE_PARENTS(nd) ((nd)->items)
#define NODE_SAVED(nd) ((nd)->items + (nd)->n)
#define NODE_META(nd) ((nd)->items + 2 * (nd)->n)
#define NODE_CHECKS(nd) ((nd)->items + 3 * (nd)->n)

/* ---- defined in one file, used in others ---------------------------------- */
/* Hidden: not exported from the shared library, so that the calls between the files are
   direct (no PLT, no interposition) and the compiler may still inline them in their own file,
   as when they were static. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* array.c */
extern PyObject *npf_str_base, *npf_str_shape, *npf_str_dtype;   /* interned attribute names */
extern PyTypeObject npf_ArrayBaseType;
int npf_data_shape_dtype(PyObject *d, PyObject **shape, PyObject **dtype);
PyObject *npf_array_get_ad(ArrayObject *self, void *unused);
int npf_array_set_ad(ArrayObject *self, PyObject *value, void *unused);
PyObject *npf_unset_slot(PyObject *self, const char *name);

/* apply.c */
extern PyObject *npf_binary_op[NBINARY], *npf_binary_kernel[NBINARY];
extern PyObject *npf_unary_op[NUNARY], *npf_unary_kernel[NUNARY];
extern PyObject *npf_compare_op[6], *npf_compare_kernel[6];
extern PyTypeObject *npf_array_type;   /* npflow.ndarray */
extern PyTypeObject *npf_np_ndarray;   /* numpy.ndarray */
extern PyObject *npf_cpu_device;
extern PyObject *npf_recorders;        /* dispatch.recorders (a list) */
extern PyObject *npf_tracing;          /* dispatch.tracing: an entry per active trace, any thread */
extern PyObject *npf_trace_state;      /* dispatch.trace_state: .stack, this thread's traces */
extern PyObject *npf_str_stack;
extern PyObject *npf_py_apply1, *npf_py_apply2, *npf_py_wrap, *npf_py_traced;
extern PyObject *npf_str_call;
extern int npf_binary_op_opcode;
extern PyObject *npf_elide_kwnames, *npf_str_no;
extern unsigned long npf_stack_epoch, npf_stack_cache_epoch;
extern PyObject *npf_empty_params;
extern PyObject *npf_np_generic, *npf_np_asarray;   /* numpy.generic, numpy.asarray */
extern PyNumberMethods npf_array_as_number;
extern PyTypeObject npf_UfuncBaseType;
extern PyObject *npf_str_np_kernel, *npf_str_wraps, *npf_str_device, *npf_str_dst;
PyObject *npf_this_stack(void);
PyObject *npf_py_stack_changed(PyObject *module, PyObject *unused);
PyObject *npf_scalar_array_of(PyObject *g);
PyObject *npf_richcompare(PyObject *self, PyObject *other, int opid);
PyObject *npf_c_apply(PyObject *module, PyObject *const *args, size_t nargsf, PyObject *kwnames);
PyObject *npf_configure_apply(PyObject *module, PyObject *args);

/* version.c */
extern PyTypeObject npf_VersionType;
extern PyTypeObject npf_TableType;
int npf_table_del(TableObject *t, uintptr_t k);
PyObject *npf_root_of(PyObject *data);
PyObject *npf_track(PyObject *data, PyObject *roots);

/* recorder.c */
extern PyTypeObject npf_NodeType;
extern TableObject *npf_versions;    /* dispatch.versions: id(root) -> RootVersion */
extern PyObject *npf_lock_acquire, *npf_lock_release;   /* core._lock's bound methods */
extern PyObject *npf_str_nodes, *npf_str_roots, *npf_str_kind, *npf_str_differentiable, *npf_str_released,
    *npf_str_vjp, *npf_str_nout, *npf_str_inplace, *npf_str_where, *npf_str_vjp_uses, *npf_str_acquire,
    *npf_str_release, *npf_str_out, *npf_str_vjp_plain;
extern PyObject *npf_inexact_dtypes; /* dtype -> bool: kind in "fc" */
extern PyObject *npf_tangents_type;   /* autodiff.core.Tangents (exact type only) */
extern PyObject *npf_py_fit;          /* autodiff.rules.fit */
extern PyObject *npf_py_trace_from;   /* core.trace_from(i, op, operands, params, result) */
extern PyObject *npf_str_jvp, *npf_str_name, *npf_kwnames_forward;   /* ("forward",) */
PyObject *npf_node_release(NodeObject *n, PyObject *unused);
PyObject *npf_py_release_nodes(PyObject *module, PyObject *nodes);
int npf_is_inexact_data(PyObject *data);
int npf_plain_call(PyObject *params, PyObject *result, PyObject **rparams);
int npf_lock_take(void);
int npf_set_fresh_entry(PyObject *result, PyObject *trace, PyObject *payload, PyObject *roots);
PyObject *npf_fit_to(PyObject *fit, PyObject *ct, PyObject *shape, PyObject *dtype, PyObject *op, int forward);
PyObject *npf_op_info(PyObject *op);
PyObject *npf_py_trace(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *npf_py_watch(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *npf_py_untrack(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
int npf_trace_one(PyObject *op, PyObject *operands, PyObject *params, PyObject *result);
PyObject *npf_configure_autodiff(PyObject *module, PyObject *args);

/* tangent.c */
int npf_tangent_record(PyObject *tr, PyObject *op, PyObject *operands, PyObject *params, PyObject *result, PyObject *outer);
PyObject *npf_configure_forward(PyObject *module, PyObject *args);

/* backward.c */
extern PyTypeObject npf_PartialType;
PyObject *npf_py_backward(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* callables.c */
extern PyTypeObject npf_FunctionType;
extern PyTypeObject npf_KindSplitType;

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

/* ---- hot helpers used in several files (static inline: inlined where called) ---- */

/* d.base: a new reference (None where the array owns its memory), NULL on error */
static inline PyObject *
data_base(PyObject *d)
{
    if (IS_NP(d)) {
        PyObject *b = PyArray_BASE((PyArrayObject *)d);
        b = b ? b : Py_None;
        Py_INCREF(b);
        return b;
    }
    return PyObject_GetAttr(d, npf_str_base);
}

static inline PyObject *
data_of(PyObject *x)
{
    PyObject *d = DATA(x);
    return d != NULL ? d : npf_unset_slot(x, "_data");
}

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

/* Trace ``trace``'s entry in operand ``x``: 1 with *e (a new reference; NULL where x is not tracked)
   and whether x is floating/complex; 0 where the Python path must take the op (a subclass such
   as npflow.Variable, or an entry whose memory was written since: Python raises); -1 error. */
static inline int
operand_entry(PyObject *x, PyObject *trace, PyObject **e, int *inexact)
{
    *e = NULL;
    *inexact = 0;
    if (Py_TYPE(x) != npf_array_type)
        return PyObject_TypeCheck(x, npf_array_type) ? 0 : 1;
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
            Py_TYPE(PyTuple_GET_ITEM(found, 2)) != &npf_VersionType)
        return 0;
    Py_ssize_t then = PyLong_AsSsize_t(PyTuple_GET_ITEM(found, 3));
    if (then == -1 && PyErr_Occurred())
        return -1;
    if (((VersionObject *)PyTuple_GET_ITEM(found, 2))->n != then)
        return 0;
    Py_INCREF(found);   /* (held: a backend's dtype attributes may run Python code) */
    int r = npf_is_inexact_data(DATA(x));
    if (r < 0) {
        Py_DECREF(found);
        return -1;
    }
    *e = found;
    *inexact = r;
    return 1;
}

static inline int
lock_give(int taken, int status)
{
    if (taken <= 0)
        return status;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *u = PyObject_CallNoArgs(npf_lock_release);
    if (u == NULL && et == NULL)
        return -1;
    Py_XDECREF(u);
    PyErr_Restore(et, ev, tb);
    return status;
}

#endif /* NPFLOW_FASTPATH_H */
