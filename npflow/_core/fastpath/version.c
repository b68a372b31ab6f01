/* npflow's C accelerator: the write counters: RootVersion (a root's count of writes),
   VersionTable (dispatch.versions, id(root) -> RootVersion, as a hash table on the root's
   address) and track, the recorder's registration of a root. */
#include "fastpath.h"

/* a new counter for the root at address ``key`` */
static VersionObject *
version_make(uintptr_t key)
{
    VersionObject *v = PyObject_New(VersionObject, &npf_VersionType);
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

PyTypeObject npf_VersionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "npflow._core._fastpath.RootVersion",
    .tp_basicsize = sizeof(VersionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_members = version_members,
    .tp_getset = version_getset,
    .tp_new = version_new,
    .tp_doc = "The write counter of one memory root (see dispatch.versions).",
};

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
int
npf_table_del(TableObject *t, uintptr_t k)
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
        if (npf_table_del(t, k))
            return 0;
        PyErr_SetObject(PyExc_KeyError, key);
        return -1;
    }
    if (Py_TYPE(value) != &npf_VersionType) {
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

PyTypeObject npf_TableType = {
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

/* dispatch.root_of(data): the array owning data's memory, one NumPy base up, and through memory
   exported by an npflow array (its buffer) or a NumPy array (a memoryview): a new reference */
PyObject *
npf_root_of(PyObject *data)
{
    static PyObject *str_obj;
    if (str_obj == NULL && (str_obj = PyUnicode_InternFromString("obj")) == NULL)
        return NULL;
    Py_INCREF(data);
    for (;;) {
        PyObject *b = data_base(data);
        if (b == NULL)
            goto fail;
        if (b != Py_None && Py_TYPE(b) == Py_TYPE(data)) {
            Py_SETREF(data, b);
            if ((b = data_base(data)) == NULL)
                goto fail;
        }
        if (b == Py_None) {
            Py_DECREF(b);
            return data;
        }
        if (PyMemoryView_Check(b)) {
            PyObject *o = PyObject_GetAttr(b, str_obj);
            Py_DECREF(b);
            if (o == NULL) {   /* a released memoryview: no exporter to follow */
                if (!PyErr_ExceptionMatches(PyExc_ValueError))
                    goto fail;
                PyErr_Clear();
                return data;
            }
            b = o;
        }
        if (npf_array_type != NULL && PyObject_TypeCheck(b, npf_array_type)) {
            PyObject *d = data_of(b);
            Py_XINCREF(d);
            Py_DECREF(b);
            if ((b = d) == NULL)
                goto fail;
        }
        if (npf_np_ndarray == NULL || Py_TYPE(b) != npf_np_ndarray) {
            Py_DECREF(b);
            return data;
        }
        Py_SETREF(data, b);
    }
fail:
    Py_DECREF(data);
    return NULL;
}

/* dispatch.track_root(data), and the counter appended to rec.roots: a new reference */
PyObject *
npf_track(PyObject *data, PyObject *roots)
{
    PyObject *root = npf_root_of(data);
    if (root == NULL)
        return NULL;
    uintptr_t key = (uintptr_t)root;
    Py_DECREF(root);   /* (data keeps it alive: its base, or the exporter its base holds) */
    PyObject *v = (PyObject *)table_get(npf_versions, key);
    if (v != NULL)
        Py_INCREF(v);
    else {
        v = (PyObject *)version_make(key);
        if (v != NULL && table_put(npf_versions, key, (VersionObject *)v) < 0)
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
