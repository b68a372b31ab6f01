/* npflow's C accelerator: npflow.ndarray's storage (ArrayBase: _data, _device, the autodiff
   entries), its shape/dtype/ndim/size/device attributes, and the reads of a backend array's
   fields (the operator slots that ArrayBase points to are in apply.c, beside the fast paths
   they call). */
#include "fastpath.h"

PyObject *npf_str_base, *npf_str_shape, *npf_str_dtype;   /* interned attribute names */

/* d.shape and d.dtype (new references), 0; -1 on error */
int
npf_data_shape_dtype(PyObject *d, PyObject **shape, PyObject **dtype)
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
    *shape = PyObject_GetAttr(d, npf_str_shape);
    *dtype = *shape ? PyObject_GetAttr(d, npf_str_dtype) : NULL;
    if (*dtype == NULL) {
        Py_CLEAR(*shape);
        return -1;
    }
    return 0;
}

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
PyObject *
npf_array_get_ad(ArrayObject *self, void *unused)
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

int
npf_array_set_ad(ArrayObject *self, PyObject *value, void *unused)
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
PyObject *
npf_unset_slot(PyObject *self, const char *name)
{
    PyErr_Format(PyExc_AttributeError, "'%.200s' object has no attribute '%s'",
                 Py_TYPE(self)->tp_name, name);
    return NULL;
}

/* npflow.ndarray's attributes read off its data: shape, dtype, ndim, size (ndarray.py defines
   them as properties where the accelerator is not built) */
static PyObject *
array_get_shape(ArrayObject *self, void *unused)
{
    PyObject *d = data_of((PyObject *)self);
    if (d != NULL && IS_NP(d))
        return PyArray_IntTupleFromIntp(PyArray_NDIM((PyArrayObject *)d), PyArray_DIMS((PyArrayObject *)d));
    return d ? PyObject_GetAttr(d, npf_str_shape) : NULL;
}

static PyObject *
array_get_dtype(ArrayObject *self, void *unused)
{
    PyObject *d = data_of((PyObject *)self);
    if (d != NULL && IS_NP(d))
        return Py_NewRef((PyObject *)PyArray_DESCR((PyArrayObject *)d));
    return d ? PyObject_GetAttr(d, npf_str_dtype) : NULL;
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
    return self->device ? Py_NewRef(self->device) : npf_unset_slot((PyObject *)self, "_device");
}

static PyGetSetDef array_getset[] = {
    {"_ad", (getter)npf_array_get_ad, (setter)npf_array_set_ad, "autodiff entries {trace: entry}, or None", NULL},
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

/* ---- the buffer protocol ---------------------------------------------------------------------
   x exports its NumPy array's buffer, as that array's own: ndarray._buffer_source(flags), in
   Python, says which array (x's, or a read-only view of it) or raises (another device; a dtype
   the format cannot say; a writable request while a trace is active). The buffer's ``obj`` is
   that array, which releases it (so memoryview(x).obj is x's array, dispatch.root_of follows a
   NumPy array made over the buffer to x's memory, and with no releasebuffer of its own x is
   taken by NumPy's consumers, numpy.frombuffer among them, exactly as a NumPy array is). */
static PyObject *str_buffer_source;
#ifndef NPY_ARRAY_WARN_ON_WRITE
#define NPY_ARRAY_WARN_ON_WRITE (1u << 31)   /* (NumPy's internal flag: broadcast_arrays' results) */
#endif

static int
array_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    view->obj = NULL;
    PyObject *src = DATA(self);
    int t = src != NULL && IS_NP(src) ? PyArray_DESCR((PyArrayObject *)src)->type_num : -1;
    if (t >= 0 && (PyArray_FLAGS((PyArrayObject *)src) & NPY_ARRAY_WARN_ON_WRITE)) {
        /* NumPy's buffer of it would be read-only, and warn: none, so numpy.asarray(x) is x's own
           array (writable, warning on write, as NumPy's) */
        PyErr_SetString(PyExc_BufferError, "memoryview: the array warns on write (a broadcast_arrays "
                        "result); NumPy would export it read-only: use numpy.asarray(x) or x.data");
        return -1;
    }
    if (DEVICE(self) == npf_cpu_device && npf_tracing != NULL && PyList_GET_SIZE(npf_tracing) == 0 &&
            (PyTypeNum_ISBOOL(t) || PyTypeNum_ISNUMBER(t)) &&
            PyDataType_METADATA(PyArray_DESCR((PyArrayObject *)src)) == NULL)
        Py_INCREF(src);   /* the common case: x's own array, as _buffer_source gives it */
    else {
        if (str_buffer_source == NULL &&
                (str_buffer_source = PyUnicode_InternFromString("_buffer_source")) == NULL)
            return -1;
        PyObject *f = PyLong_FromLong(flags);
        src = f ? PyObject_CallMethodObjArgs(self, str_buffer_source, f, NULL) : NULL;
        Py_XDECREF(f);
        if (src == NULL)
            return -1;
    }
    int r = PyObject_GetBuffer(src, view, flags);   /* (view->obj: a new reference to src) */
    Py_DECREF(src);
    return r;
}

static PyBufferProcs array_as_buffer = {
    .bf_getbuffer = array_getbuffer,
};

PyTypeObject npf_ArrayBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.ArrayBase",
    .tp_basicsize = sizeof(ArrayObject),
    .tp_dealloc = (destructor)array_dealloc,
    .tp_as_number = &npf_array_as_number,
    .tp_as_buffer = &array_as_buffer,
    .tp_richcompare = npf_richcompare,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)array_traverse,
    .tp_clear = (inquiry)array_clear,
    .tp_weaklistoffset = offsetof(ArrayObject, weakreflist),
    .tp_getset = array_getset,
    .tp_members = array_members,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Storage and operators of npflow.ndarray (C fast path).",
};
